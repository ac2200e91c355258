// Loaded between require.js and the ipywidgets HTML manager (embed-amd.js) on
// pages with saved widget state. Part of the book, not third-party code.
(function () {
  "use strict";
  // The folder this file is served from: _static/widgets/, next to embed-amd.js.
  var base = new URL(".", document.currentScript.src).href;

  // Each bundled module finds its files (Font Awesome fonts, for button
  // icons) relative to the URL require.js gives the module. Without these
  // paths that URL is relative to the page and every font request 404s.
  var folder = base.replace(/\/$/, "");
  window.__jupyter_widgets_assets_path__ = base;
  window.require.config({
    paths: {
      "@jupyter-widgets": folder, // @jupyter-widgets/controls, base, output
      "@jupyter-widgets/html-manager/dist": folder,
    },
  });

  // ipywidgets typesets labels with the MathJax 2 call MathJax.Hub.Queue;
  // Sphinx loads MathJax 3, which has no Hub, so every widget on a page with
  // equations would throw. Give whatever object is window.MathJax (Sphinx's
  // config object first, then MathJax 3 itself) a Hub.Queue that typesets the
  // element with MathJax 3's API.
  var hub = {
    Queue: function (job) {
      var mj = window.MathJax;
      var element = Array.isArray(job) ? job[2] : undefined;
      if (element && mj && typeof mj.typesetPromise === "function") {
        mj.typesetPromise([element]).catch(function () {});
      }
    },
  };
  function withHub(value) {
    if (value && typeof value === "object" && !value.Hub) {
      Object.defineProperty(value, "Hub", { value: hub, configurable: true });
    }
    return value;
  }
  var current = withHub(window.MathJax);
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: function () {
      return current;
    },
    set: function (value) {
      current = withHub(value);
    },
  });
})();
