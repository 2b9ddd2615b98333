// Human units for the console's pages: 1536 → "1.5 KB" (as catalogsync.units.human_bytes).
window.humanBytes = function (count) {
  let value = Number(count);
  for (const unit of ["B", "KB", "MB", "GB", "TB"]) {
    if (Math.abs(value) < 1024 || unit === "TB") return unit === "B" ? value.toFixed(0) + " B" : value.toFixed(1) + " " + unit;
    value /= 1024;
  }
  return value.toFixed(1) + " TB";
};
