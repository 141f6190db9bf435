// Item page: choose how to load the model, report load errors; notes on the model (hotspots)
// open and close; the guided tour steps through saved views. No network access beyond the
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

  // Guided tour: stop 0 is the visitor's own view (kept when the tour starts, given back at
  // the end); stops 1..n set model-viewer's camera from the saved views (already in the
  // model's frame: orbit "theta phi radius" in rad, rad, m).
  function currentCamera() {
    var o = viewer.getCameraOrbit(), t = viewer.getCameraTarget();
    return { cameraOrbit: o.theta + "rad " + o.phi + "rad " + o.radius + "m",
      cameraTarget: t.x + "m " + t.y + "m " + t.z + "m", fieldOfView: viewer.getFieldOfView() + "deg",
      minCameraOrbit: "auto", maxCameraOrbit: "auto", minFieldOfView: "auto", maxFieldOfView: "auto" };
  }

  function format(template, n, total) { return template.replace("{n}", n).replace("{total}", total); }

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
    var tour = document.getElementById("tour");
    if (!tour) { return; }
    var stops = tour.querySelectorAll(".tour-stop");
    var prev = document.getElementById("tour-prev"), next = document.getElementById("tour-next");
    var status = document.getElementById("tour-status");
    var total = stops.length, current = 0, own = null;
    tour.querySelector(".tour-controls").hidden = false;
    root.setAttribute("data-tour", "ready");

    function show(n) {
      var loaded = root.getAttribute("data-model") === "loaded";
      n = Math.max(0, Math.min(total, n));
      if (loaded && current === 0 && n > 0) { own = currentCamera(); }
      current = n;
      Array.prototype.forEach.call(stops, function (stop, i) { stop.hidden = i !== current - 1; });
      Array.prototype.forEach.call(viewer.querySelectorAll(".hotspot"), function (h) {
        var mine = current > 0 && stops[current - 1].getAttribute("data-hotspot") === h.slot;
        h.classList.toggle("tour-current", mine);
        setExpanded(h, mine);
      });
      // aria-disabled, not disabled: a disabled button would drop the keyboard focus at either end
      prev.setAttribute("aria-disabled", String(current === 0));
      next.setAttribute("aria-disabled", String(current === total));
      status.textContent = current === 0 ? format(tour.getAttribute("data-intro"), 0, total)
        : format(tour.getAttribute("data-status"), current, total);
      tour.setAttribute("data-stop", String(current));
      if (loaded && (current > 0 || own)) { applyCamera(current > 0 ? cameraFor(stops[current - 1]) : own); }
    }

    function step(by) { if (current + by >= 0 && current + by <= total) { show(current + by); } }
    prev.addEventListener("click", function () { step(-1); });
    next.addEventListener("click", function () { step(1); });
    tour.addEventListener("keydown", function (event) {
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        step(event.key === "ArrowRight" ? 1 : -1);
        event.preventDefault();
      }
    });
    viewer.addEventListener("load", function () {  // a stop chosen while the model was on its way
      if (current > 0) { own = own || currentCamera(); show(current); }
    });
    show(0);
  }

  loadModel();
  initHotspots();
  initTour();
})();
