// The event detail's small map (web/event_map.py): the district's towns from our own
// geometry, the event's grid outlined and its point. Loaded by the Leaflet element after
// window.L is set; every request goes to this server (no tile layer).
(function () {
  "use strict";
  const get = async (url) => {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(url + " " + response.status);
    return response.json();
  };

  window.zhiliEventMap = {
    async draw(mapId, cfg) {
      const map = getElement(mapId).map;
      const box = map.getContainer().closest("[data-testid=event-map]") || map.getContainer();
      const towns = await get("/web/geo/town.json");
      L.geoJSON(towns, {
        interactive: false,
        style: (f) => {
          const mine = f.properties.code === cfg.town;
          return { color: "#64748b", weight: mine ? 1.5 : 0.6, fillColor: "#e2e8f0",
                   fillOpacity: mine ? 0.5 : 0.15 };
        },
      }).addTo(map);
      let bounds = null;
      if (cfg.grid) {
        try {
          const grid = await get("/web/geo/grid/" + cfg.grid + ".json");
          const layer = L.geoJSON(grid, {
            interactive: false,
            style: { color: "#2563eb", weight: 2, dashArray: "4 3", fillOpacity: 0.08,
                     className: "zhili-event-grid" },
          }).addTo(map);
          bounds = layer.getBounds();
          box.setAttribute("data-grid", cfg.grid);
        } catch (err) {
          console.warn(err); // the point still shows
        }
      }
      if (cfg.lat !== null && cfg.lon !== null) {
        L.circleMarker([cfg.lat, cfg.lon], {
          radius: 7, color: "#ffffff", weight: 2, fillColor: cfg.color, fillOpacity: 1,
          className: "zhili-event-point",
        }).addTo(map);
        bounds = bounds ? bounds.extend([cfg.lat, cfg.lon]) : L.latLngBounds([[cfg.lat, cfg.lon]]);
      }
      if (bounds) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 16 });
      box.setAttribute("data-drawn", "1");
    },
  };
})();
