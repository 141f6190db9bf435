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
  }
  draw();

  window.HeritageTilesPage = {
    stats: function () { return JSON.parse(JSON.stringify(stats)); },
    // Move the camera towards what it looks at: ``factor`` 0.5 halves the distance.
    dolly: function (factor) {
      camera.position.sub(controls.target).multiplyScalar(factor).add(controls.target);
      controls.update();
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
