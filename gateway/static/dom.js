// DOM helpers for every console page (base.html loads this before the page's own scripts).
window.el = function (tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
};

// A table cell with its column's name for the narrow-screen card layout (data-label).
window.labelledCell = function (label, content) {
  const td = window.el("td");
  td.dataset.label = label;
  if (content instanceof Node) td.append(content); else td.textContent = content;
  return td;
};
