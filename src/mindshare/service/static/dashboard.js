// Draws every chart of a dashboard page: each element with data-figure names the
// <script type="application/json"> that holds its plotly figure (data and layout).
"use strict";

(function () {
  var config = { responsive: true, displaylogo: false };
  var charts = document.querySelectorAll("[data-figure]");
  Array.prototype.forEach.call(charts, function (element) {
    var source = document.getElementById(element.getAttribute("data-figure"));
    if (source === null) {
      return;
    }
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(element, figure.data, figure.layout, config);
  });
})();
