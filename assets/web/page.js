// Item page: choose how to load the model, report load errors. No network access beyond
// the page's own files: from file:// the model comes from model.glb.js (a script, which
// browsers allow there), because fetch() of file:// URLs is blocked.
(function () {
  "use strict";
  var viewer = document.getElementById("model");
  if (!viewer) { return; }
  var root = document.documentElement;
  viewer.addEventListener("load", function () { root.setAttribute("data-model", "loaded"); });
  viewer.addEventListener("error", function () {
    root.setAttribute("data-model", "error");
    var message = document.getElementById("model-error");
    if (message) { message.hidden = false; }
  });
  if (viewer.getAttribute("src")) { return; }  // single-file page: the model is inline
  var fallback = viewer.getAttribute("data-fallback");
  if (window.location.protocol === "file:" && fallback) {
    var script = document.createElement("script");
    script.src = fallback;
    script.onload = function () { viewer.src = "data:model/gltf-binary;base64," + window.HERITAGE_MODEL_GLB; };
    document.head.appendChild(script);
  } else {
    viewer.src = viewer.getAttribute("data-src");
  }
})();
