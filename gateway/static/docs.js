// /docs: Swagger UI from the gateway's own copy of its assets (works offline, no inline script).
(function () {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({url: root.dataset.openapiUrl, domNode: root, deepLinking: true});
})();
