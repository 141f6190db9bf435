// Item page of a point cloud published as 3D Tiles (assets/templates/tiles.html.j2): three.js and
// 3d-tiles-renderer from the vendored bundle (window.HeritageTilesViewer) stream the tileset,
// coarse levels first and finer ones where the camera looks closely. Nothing leaves the page's
// folder. From file://, where browsers refuse fetch(), the tileset and tiles of the coarsest
// levels come from their script copies (*.js beside them, written for that purpose).
(function () {
  "use strict";
  var box = document.getElementById("tiles");
  var V = window.HeritageTilesViewer;
  if (!box || !V) { return; }
  var root = document.documentElement;
  var local = window.location.protocol === "file:";
  var POINT_PX = 2;  // every point drawn as a dot of this many CSS pixels

  var canvas = box.querySelector("canvas");
  var renderer = new V.WebGLRenderer({ canvas: canvas, antialias: true });
  renderer.setPixelRatio(window.devicePixelRatio || 1);
  var scene = new V.Scene();
  scene.background = new V.Color(0x202124);
  var camera = new V.PerspectiveCamera(45, 1, 0.01, 1e5);
  var controls = new V.OrbitControls(camera, canvas);
  controls.enableDamping = true;

  // An absolute address: the renderer takes everything up to the last "/" as the tiles' folder.
  var tileset = new URL(box.getAttribute(local ? "data-local" : "data-tileset"), window.location.href).href;
  var tiles = new V.TilesRenderer(tileset);
  tiles.errorTarget = Number(box.getAttribute("data-error-target")) || 2;
  tiles.group.rotation.x = -Math.PI / 2;  // 3D Tiles are z-up; the page, like the web GLB, is y-up
  scene.add(tiles.group);
  if (local) {
    tiles.registerPlugin(scriptCopies());
    var hint = document.getElementById("tiles-hint");
    if (hint) { hint.hidden = false; }
  }

  // What a test (or a curious visitor's console) can read: requests, loads, the deepest level.
  var stats = { requested: 0, loaded: 0, failed: 0, deepest: -1, idle: false };
  tiles.addEventListener("tile-download-start", function () { stats.requested += 1; stats.idle = false; });
  tiles.addEventListener("tiles-load-start", function () { stats.idle = false; });
  tiles.addEventListener("load-model", function (event) {
    stats.loaded += 1;
    stats.deepest = Math.max(stats.deepest, event.tile.internal ? event.tile.internal.depth : 0);
    // A tile's points are in the scene: the page has its model. (Not only at "tiles-load-end":
    // served over http, the last tile's "load-model" may come after it, and no other end follows.)
    if (root.getAttribute("data-model") !== "error") { root.setAttribute("data-model", "loaded"); }
    event.scene.traverse(function (object) {
      if (object.isPoints) {
        object.material.size = POINT_PX * renderer.getPixelRatio();
        object.material.sizeAttenuation = false;
      }
    });
  });
  tiles.addEventListener("load-error", function () {
    stats.failed += 1;
    root.setAttribute("data-model", "error");
    var message = document.getElementById("model-error");
    if (message) { message.hidden = false; }
  });
  tiles.addEventListener("load-root-tileset", frame);
  tiles.addEventListener("tiles-load-end", function () {
    stats.idle = true;
    if (stats.loaded > 0 && root.getAttribute("data-model") !== "error") { root.setAttribute("data-model", "loaded"); }
  });

  // The camera in front of the whole cloud, a little above, once the root's box is known.
  function frame() {
    if (tour && tour.stop() > 0) { return; }  // a tour stop chosen before the tileset came keeps its view
    var sphere = new V.Sphere();
    if (!tiles.getBoundingSphere(sphere)) { return; }
    tiles.group.updateMatrixWorld(true);
    sphere.applyMatrix4(tiles.group.matrixWorld);
    var distance = sphere.radius / Math.sin((camera.fov * Math.PI / 180) / 2) * 1.05;
    var direction = new V.Vector3(0, 0.35, 1).normalize();
    camera.position.copy(sphere.center).addScaledVector(direction, distance);
    camera.near = Math.max(sphere.radius / 2000, 1e-4);
    camera.far = distance + sphere.radius * 20;
    camera.updateProjectionMatrix();
    controls.target.copy(sphere.center);
    controls.update();
  }

  function resize() {
    var width = box.clientWidth || 1, height = box.clientHeight || 1;
    renderer.setSize(width, height, false);
    camera.aspect = width / height;
    camera.updateProjectionMatrix();
    tiles.setResolutionFromRenderer(camera, renderer);
  }
  tiles.setCamera(camera);
  resize();
  if (window.ResizeObserver) { new ResizeObserver(resize).observe(box); }

  function draw() {
    window.requestAnimationFrame(draw);
    controls.update();
    camera.updateMatrixWorld();
    tiles.update();
    renderer.render(scene, camera);
    placeHotspots();
  }

  // Notes on the model: their points are in the web GLB's frame (y-up metres, as the tour's
  // views), which is the scene's frame here (the group's rotation undoes 3D Tiles' z-up).
  var hotspots = Array.prototype.slice.call(box.querySelectorAll(".hotspot")).map(function (button) {
    var p = button.getAttribute("data-position").split(" ").map(parseFloat);
    var n = (button.getAttribute("data-normal") || "").split(" ").map(parseFloat);
    return { button: button, point: new V.Vector3(p[0], p[1], p[2]),
      normal: n.length === 3 && n.every(isFinite) ? new V.Vector3(n[0], n[1], n[2]) : null };
  });
  var projected = new V.Vector3(), towards = new V.Vector3();

  function placeHotspots() {
    var width = box.clientWidth, height = box.clientHeight;
    hotspots.forEach(function (h) {
      projected.copy(h.point).project(camera);
      var inside = projected.z > -1 && projected.z < 1 && Math.abs(projected.x) <= 1 && Math.abs(projected.y) <= 1;
      towards.copy(camera.position).sub(h.point);
      var facing = !h.normal || h.normal.dot(towards) > 0;
      h.button.toggleAttribute("data-offscreen", !inside);
      h.button.toggleAttribute("data-visible", inside && facing);
      var x = (projected.x + 1) / 2 * width, y = (1 - projected.y) / 2 * height;
      h.button.style.transform = "translate(" + x.toFixed(1) + "px," + y.toFixed(1) + "px) translate(-50%,-50%)";
    });
  }

  function setExpanded(button, open) { button.setAttribute("aria-expanded", open ? "true" : "false"); }
  hotspots.forEach(function (h) {
    h.button.addEventListener("click", function () {
      var open = h.button.getAttribute("aria-expanded") !== "true";
      hotspots.forEach(function (other) { setExpanded(other.button, false); });
      setExpanded(h.button, open);
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { hotspots.forEach(function (h) { setExpanded(h.button, false); }); }
  });

  // Guided tour (tour.js, as on a model-viewer page): a stop's saved view is an orbit
  // "theta phi radius" (rad, rad, m) around its target, as model-viewer reads it: theta turns
  // about y from +z towards +x, phi down from +y; its field of view is the vertical one.
  function orbitCamera(target, theta, phi, radius, fov) {
    controls.target.copy(target);
    camera.position.set(Math.sin(phi) * Math.sin(theta), Math.cos(phi), Math.sin(phi) * Math.cos(theta))
      .multiplyScalar(radius).add(target);
    camera.fov = fov;
    camera.near = Math.min(camera.near, radius / 100);
    camera.far = Math.max(camera.far, radius * 20);
    camera.updateProjectionMatrix();
    controls.update();
  }

  var tour = window.HeritageTour.start({
    ready: function () { return true; },
    save: function () { return { position: camera.position.clone(), target: controls.target.clone(), fov: camera.fov }; },
    restore: function (own) {
      controls.target.copy(own.target);
      camera.position.copy(own.position);
      camera.fov = own.fov;
      camera.updateProjectionMatrix();
      controls.update();
    },
    go: function (stop) {
      var orbit = stop.getAttribute("data-orbit").split(" ").map(Number);
      var t = stop.getAttribute("data-target").split(" ").map(parseFloat);
      orbitCamera(new V.Vector3(t[0], t[1], t[2]), orbit[0], orbit[1], orbit[2], Number(stop.getAttribute("data-fov")));
    },
    hotspots: function () { return hotspots.map(function (h) { return h.button; }); },
  });
  draw();

  window.HeritageTilesPage = {
    stats: function () { return JSON.parse(JSON.stringify(stats)); },
    // Move the camera towards what it looks at: ``factor`` 0.5 halves the distance.
    dolly: function (factor) {
      camera.position.sub(controls.target).multiplyScalar(factor).add(controls.target);
      controls.update();
    },
    // Where a scene point (GLB frame) falls in the view, in CSS pixels from its top left.
    project: function (x, y, z) {
      var p = new V.Vector3(x, y, z).project(camera);
      return [(p.x + 1) / 2 * box.clientWidth, (1 - p.y) / 2 * box.clientHeight, p.z];
    },
    camera: function () {
      return { position: camera.position.toArray(), target: controls.target.toArray(), fov: camera.fov };
    },
  };

  // file://: read ``url + ".js"`` as a script that calls HeritageTilesData(its own address, value);
  // a string value is a tile (base64 GLB), an object the tileset.
  function scriptCopies() {
    var waiting = {};
    window.HeritageTilesData = function (src, value) {
      var done = waiting[src];
      if (done) { delete waiting[src]; done(value); }
    };
    return {
      name: "HeritageScriptCopies",
      fetchData: function (url) {
        return new Promise(function (resolve, reject) {
          var script = document.createElement("script");
          script.src = url + ".js";
          var key = script.src;
          waiting[key] = function (value) {
            script.remove();
            resolve(typeof value === "string" ? bytes(value) : value);
          };
          script.onerror = function () {
            delete waiting[key];
            script.remove();
            reject(new Error("no script copy of " + url));
          };
          document.head.appendChild(script);
        });
      },
    };
  }

  function bytes(base64) {
    var text = window.atob(base64);
    var out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i += 1) { out[i] = text.charCodeAt(i); }
    return out.buffer;
  }
})();
