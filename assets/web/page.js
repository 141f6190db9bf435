// Item page: choose how to load the model, report load errors; notes on the model (hotspots)
// open and close; the guided tour (tour.js) steps through saved views. No network access beyond the
// page's own files: from file:// the model comes from model.glb.js (a script, which browsers
// allow there), because fetch() of file:// URLs is blocked.
(function () {
  "use strict";
  var viewer = document.getElementById("model");
  if (!viewer) { return; }
  var root = document.documentElement;

  function loadModel() {
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
  }

  // A hotspot shows its number and title; pressing it (mouse, Enter or Space) shows its text.
  function setExpanded(hotspot, open) { hotspot.setAttribute("aria-expanded", open ? "true" : "false"); }

  function initHotspots() {
    var hotspots = viewer.querySelectorAll(".hotspot");
    Array.prototype.forEach.call(hotspots, function (hotspot) {
      hotspot.addEventListener("click", function () {
        var open = hotspot.getAttribute("aria-expanded") !== "true";
        Array.prototype.forEach.call(hotspots, function (h) { setExpanded(h, false); });
        setExpanded(hotspot, open);
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { Array.prototype.forEach.call(hotspots, function (h) { setExpanded(h, false); }); }
    });
  }

  // Guided tour (tour.js): the saved views are already in the model's frame, an orbit
  // "theta phi radius" in rad, rad, m, as model-viewer's camera takes them.
  function currentCamera() {
    var o = viewer.getCameraOrbit(), t = viewer.getCameraTarget();
    return { cameraOrbit: o.theta + "rad " + o.phi + "rad " + o.radius + "m",
      cameraTarget: t.x + "m " + t.y + "m " + t.z + "m", fieldOfView: viewer.getFieldOfView() + "deg",
      minCameraOrbit: "auto", maxCameraOrbit: "auto", minFieldOfView: "auto", maxFieldOfView: "auto" };
  }

  // model-viewer keeps the camera within limits made for looking at the whole model (no
  // closer than 2.2 bounding radii, field of view 12-30 degrees): a stop widens them just
  // enough for its own view, and the start puts them back.
  function cameraFor(stop) {
    var orbit = stop.getAttribute("data-orbit").split(" ").map(Number);
    var fov = Number(stop.getAttribute("data-fov"));
    var size = viewer.getDimensions();
    var radius = 0.5 * Math.sqrt(size.x * size.x + size.y * size.y + size.z * size.z);
    var far = radius / Math.sin(Math.min(fov, 30) * Math.PI / 360);
    return {
      cameraTarget: stop.getAttribute("data-target"),
      cameraOrbit: orbit[0] + "rad " + orbit[1] + "rad " + orbit[2] + "m",
      fieldOfView: fov + "deg",
      minCameraOrbit: "auto auto " + Math.min(orbit[2], 2.2 * radius) + "m",
      maxCameraOrbit: "auto auto " + Math.max(orbit[2], 1.05 * far) + "m",
      minFieldOfView: Math.min(fov, 12) + "deg",
      maxFieldOfView: Math.max(fov, 30) + "deg"
    };
  }

  // The field of view first: model-viewer's "auto" orbit limits follow it, and would otherwise
  // be worked out with the previous stop's field of view and clamp the new orbit.
  function applyCamera(values) {
    var seq = ++applying;
    ["minFieldOfView", "maxFieldOfView", "fieldOfView"].forEach(function (name) { viewer[name] = values[name]; });
    viewer.updateComplete.then(function () {
      if (seq !== applying) { return; }  // a later stop was chosen meanwhile
      ["minCameraOrbit", "maxCameraOrbit", "cameraTarget", "cameraOrbit"].forEach(function (name) {
        viewer[name] = values[name];
      });
    });
  }
  var applying = 0;

  function initTour() {
    var tour = window.HeritageTour.start({
      ready: function () { return root.getAttribute("data-model") === "loaded"; },
      save: currentCamera,
      restore: applyCamera,
      go: function (stop) { applyCamera(cameraFor(stop)); },
      hotspots: function () { return Array.prototype.slice.call(viewer.querySelectorAll(".hotspot")); },
    });
    if (tour) { viewer.addEventListener("load", tour.resume); }  // a stop chosen while the model was on its way
  }

  loadModel();
  initHotspots();
  initTour();
})();
