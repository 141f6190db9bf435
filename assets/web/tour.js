// Guided tour of an item page (the "tour" section of assets/templates/item.html.j2), the same on
// a model-viewer page (page.js) and on a tiled point cloud's page (tiles.js): Previous / Next
// buttons and the arrow keys step through the saved views, the status line says where the
// visitor is, the stop's note on the model opens. Stop 0 is the visitor's own view (kept when
// the tour starts, given back at the end). How a camera is read and set is the page's own:
//   HeritageTour.start({
//     ready: function () { return true; },      // false while there is no camera to read or set
//     save: function () { return view; },       // the visitor's view, before the first stop
//     restore: function (view) {},              // give that view back (stop 0)
//     go: function (stop) {},                   // look as stop (an <li class="tour-stop">) says:
//                                               // data-orbit "theta phi radius" (rad, rad, m),
//                                               // data-target "x y z" (m), data-fov (deg)
//     hotspots: function () { return [...]; },  // the notes' buttons, each in its slot
//   })
// returns null without a tour, else { stop(): the stop shown (0: none), resume(): show the
// stop again now that the camera is ready (a stop chosen while the model was on its way) }.
(function () {
  "use strict";

  function setExpanded(button, open) { button.setAttribute("aria-expanded", open ? "true" : "false"); }

  function format(template, n, total) { return template.replace("{n}", n).replace("{total}", total); }

  function start(camera) {
    var tour = document.getElementById("tour");
    if (!tour) { return null; }
    var stops = tour.querySelectorAll(".tour-stop");
    var prev = document.getElementById("tour-prev"), next = document.getElementById("tour-next");
    var status = document.getElementById("tour-status");
    var total = stops.length, current = 0, own = null;
    tour.querySelector(".tour-controls").hidden = false;
    document.documentElement.setAttribute("data-tour", "ready");

    function show(n) {
      var ready = camera.ready();
      n = Math.max(0, Math.min(total, n));
      if (ready && current === 0 && n > 0) { own = camera.save(); }
      current = n;
      Array.prototype.forEach.call(stops, function (stop, i) { stop.hidden = i !== current - 1; });
      camera.hotspots().forEach(function (button) {
        var mine = current > 0 && stops[current - 1].getAttribute("data-hotspot") === button.slot;
        button.classList.toggle("tour-current", mine);
        setExpanded(button, mine);
      });
      // aria-disabled, not disabled: a disabled button would drop the keyboard focus at either end
      prev.setAttribute("aria-disabled", String(current === 0));
      next.setAttribute("aria-disabled", String(current === total));
      status.textContent = format(tour.getAttribute(current === 0 ? "data-intro" : "data-status"), current, total);
      tour.setAttribute("data-stop", String(current));
      if (!ready) { return; }
      if (current > 0) { camera.go(stops[current - 1]); } else if (own) { camera.restore(own); }
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
    show(0);
    return {
      stop: function () { return current; },
      resume: function () { if (current > 0) { own = own || camera.save(); show(current); } },
    };
  }

  window.HeritageTour = { start: start };
})();
