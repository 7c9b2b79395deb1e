/* The course's widget pages (loaded before MathJax and the widget renderer).
 *
 * 1. The widget renderer typesets every widget label with MathJax 2's API
 *    (MathJax.Hub.Queue); the site serves MathJax 3, which has no Hub, so each label
 *    threw "Cannot read properties of undefined (reading 'Queue')". Whenever
 *    window.MathJax is set, it gets a Hub.Queue that forwards to MathJax 3.
 * 2. A slider's handle (role="slider") has no accessible name and announces its index,
 *    not its value: it is named after the widget's label and given the readout as its
 *    aria-valuetext.
 */
(function () {
  "use strict";

  function queue(job) {
    var element = Array.isArray(job) ? job[2] : undefined;
    var mathjax = window.MathJax;
    if (!element || !mathjax || !mathjax.startup || !mathjax.startup.promise) {
      return;
    }
    mathjax.startup.promise.then(function () {
      return mathjax.typesetPromise ? mathjax.typesetPromise([element]) : null;
    }).catch(function () { /* a label that is not TeX stays as it is */ });
  }

  function withHub(mathjax) {
    if (mathjax && typeof mathjax === "object" && mathjax.version && !mathjax.Hub) {
      mathjax.Hub = {Queue: queue};
    }
    return mathjax;
  }

  var current = window.MathJax;
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: function () { return withHub(current); },
    set: function (value) { current = value; }
  });

  var labelCount = 0;

  function nameSliders(root) {
    root.querySelectorAll(".widget-slider").forEach(function (slider) {
      var label = slider.querySelector(".widget-label");
      var readout = slider.querySelector(".widget-readout");
      slider.querySelectorAll(".noUi-handle").forEach(function (handle) {
        if (label && label.textContent.trim()) {
          if (!label.id) {
            labelCount += 1;
            label.id = "course-widget-label-" + labelCount;
          }
          if (handle.getAttribute("aria-labelledby") !== label.id) {
            handle.setAttribute("aria-labelledby", label.id);
          }
        }
        var text = readout ? readout.textContent.trim() : "";
        if (text && handle.getAttribute("aria-valuetext") !== text) {
          handle.setAttribute("aria-valuetext", text);
        }
      });
    });
  }

  function watch() {
    nameSliders(document);
    new MutationObserver(function () { nameSliders(document); })
      .observe(document.body, {childList: true, subtree: true, characterData: true});
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", watch);
  } else {
    watch();
  }
})();
