// The big screen's map layers: every on-duty worker and every open event as canvas circles,
// drawn in one pass per layer (37,000 workers and 10,000 events stay responsive), the
// district's outlines from our own geometry, and the live feed's deltas applied in place.
// Loaded by the Leaflet element after window.L is set (ui.leaflet additional_resources).
(function () {
  "use strict";
  const SEVERITY = { 1: "#38bdf8", 2: "#facc15", 3: "#fb923c", 4: "#ef4444" };
  const MAX_SEEN = 20000;

  const DotCanvas = L.Layer.extend({
    initialize(draw) {
      this._drawFn = draw;
    },
    onAdd(map) {
      this._map = map;
      this._canvas = L.DomUtil.create("canvas", "leaflet-zoom-hide");
      this._canvas.style.pointerEvents = "none";
      map.getPane("zhiliDots").appendChild(this._canvas);
      map.on("moveend zoomend resize viewreset", this._reset, this);
      this._reset();
    },
    onRemove(map) {
      map.off("moveend zoomend resize viewreset", this._reset, this);
      this._canvas.remove();
    },
    _reset() {
      const size = this._map.getSize();
      L.DomUtil.setPosition(this._canvas, this._map.containerPointToLayerPoint([0, 0]));
      this._canvas.width = size.x;
      this._canvas.height = size.y;
      this.redraw();
    },
    redraw() {
      const ctx = this._canvas.getContext("2d");
      ctx.clearRect(0, 0, this._canvas.width, this._canvas.height);
      this._drawFn(ctx, this._map);
    },
  });

  const screen = {
    map: null,
    workers: new Map(), // id -> [lon, lat, fullTime]
    events: new Map(), // code -> [lon, lat, severity, category, overdue, version, device]
    seen: new Map(), // code -> ms when its dot was drawn (read by `zhili bench ui`)
    pending: [],
    loaded: false,
    cfg: null,
    flashOn: true,
    alarms: 0, // open device alarms drawn flashing
    alarmDrawn: false,
    redrawTimer: null,

    async init(mapId, cfg) {
      this.cfg = cfg;
      const el = getElement(mapId);
      this.map = el.map;
      const map = this.map;
      map.createPane("zhiliDots").style.zIndex = 450;
      map.createPane("zhiliAlarms").style.zIndex = 460;
      this.workerLayer = new DotCanvas((ctx, m) => this._drawWorkers(ctx, m)).addTo(map);
      this.eventLayer = new DotCanvas((ctx, m) => this._drawEvents(ctx, m)).addTo(map);
      this.alarmLayer = new DotCanvas((ctx, m) => this._drawAlarms(ctx, m)).addTo(map);
      this.alarmLayer._canvas.parentNode.removeChild(this.alarmLayer._canvas);
      map.getPane("zhiliAlarms").appendChild(this.alarmLayer._canvas);
      setInterval(() => {
        if (!this.alarms && !this.alarmDrawn) return; // nothing flashes: no repaint at all
        this.flashOn = !this.flashOn;
        this.alarmLayer.redraw();
        this.alarmDrawn = this.alarms > 0;
      }, 600);
      map.on("click", (e) => this._popup(e));
      this._outlines(map);
      const response = await fetch(cfg.snapshot, { credentials: "same-origin" });
      if (!response.ok) {
        this._status(cfg.text.error + " (" + response.status + ")");
        return;
      }
      this.load(await response.json());
    },

    async _outlines(map) {
      const get = async (level) => (await fetch("/web/geo/" + level + ".json")).json();
      const villages = await get("village");
      L.geoJSON(villages, {
        interactive: false,
        style: { color: "#35507a", weight: 0.6, fillColor: "#13284d", fillOpacity: 0.85 },
      }).addTo(map);
      const towns = await get("town");
      L.geoJSON(towns, {
        interactive: false,
        style: { color: "#7dd3fc", weight: 1.6, fillOpacity: 0 },
      }).addTo(map);
      let grids = null;
      map.on("zoomend", async () => {
        if (map.getZoom() >= 13 && !grids) {
          grids = L.geoJSON(await get("grid"), {
            interactive: false,
            style: { color: "#4b6a99", weight: 0.4, dashArray: "2 2", fillOpacity: 0 },
          });
        }
        if (grids) {
          if (map.getZoom() >= 13) grids.addTo(map);
          else grids.remove();
        }
      });
      document.querySelector("[data-testid=map-status]")?.setAttribute("data-outlines", "1");
    },

    load(snapshot) {
      for (const w of snapshot.workers) this.workers.set(w[0], [w[1], w[2], w[3]]);
      for (const e of snapshot.events) this._putEvent(e);
      this.loaded = true;
      const queued = this.pending;
      this.pending = [];
      for (const delta of queued) this.apply(delta);
      this.workerLayer.redraw();
      this.eventLayer.redraw();
      this._status(null);
    },

    _putEvent(e) {
      // [code, lon, lat, severity, open, category, overdue, version, device]
      const old = this.events.get(e[0]);
      if (old && old[5] > e[7]) return false; // older than what is drawn
      if (old && old[6]) this.alarms -= 1;
      if (!e[4] || e[1] === null) {
        return this.events.delete(e[0]) ? "remove" : false;
      }
      const row = [e[1], e[2], e[3], e[5], e[6], e[7], e[8]];
      this.events.set(e[0], row);
      if (row[6]) this.alarms += 1;
      // A new dot, or one whose look did not change, can be drawn on top; else a full redraw.
      if (!old || (old[2] === row[2] && old[4] === row[4] && old[0] === row[0])) return "add";
      return "remove";
    },

    apply(delta) {
      if (!this.loaded) {
        this.pending.push(delta);
        return;
      }
      const added = [];
      let full = false;
      for (const e of delta.e) {
        const change = this._putEvent(e);
        if (change === "add") added.push(e[0]);
        else if (change === "remove") full = true;
      }
      for (const w of delta.w) {
        if (w[3] && w[1] !== null) this.workers.set(w[0], [w[1], w[2], w[4]]);
        else this.workers.delete(w[0]);
      }
      if (delta.w.length) this.workerLayer.redraw();
      if (full) this._redrawSoon();
      else if (added.length) this._drawSome(added);
      const now = Date.now();
      for (const e of delta.e) {
        if (this.seen.size >= MAX_SEEN) this.seen.clear();
        this.seen.set(e[0], now);
      }
    },

    _redrawSoon() {
      // Removals and restyles need a clear canvas: at most one full redraw per 200 ms.
      if (this.redrawTimer) return;
      this.redrawTimer = setTimeout(() => {
        this.redrawTimer = null;
        this.eventLayer.redraw();
      }, 200);
    },

    _drawSome(codes) {
      // New dots drawn on top of the others, without redrawing the 10,000 already there.
      const ctx = this.eventLayer._canvas.getContext("2d");
      const map = this.map;
      for (const code of codes) {
        const e = this.events.get(code);
        const p = map.latLngToContainerPoint([e[1], e[0]]);
        const r = 2.5 + e[2];
        ctx.beginPath();
        ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
        ctx.fillStyle = SEVERITY[e[2]];
        ctx.globalAlpha = 0.85;
        ctx.fill();
        ctx.globalAlpha = 1;
      }
    },

    counters(c) {
      for (const [key, value] of Object.entries(c)) {
        const el = document.querySelector('[data-counter="' + key + '"]');
        if (el) el.textContent = value.toLocaleString();
      }
    },

    charts(data) {
      const ids = this.cfg.charts;
      const set = (id, option) => {
        const el = getElement(id);
        if (el && el.chart) el.chart.setOption(option);
      };
      set(ids.family, {
        yAxis: { data: data.family.map((r) => r[0]) },
        series: [{ data: data.family.map((r) => r[1]) }],
      });
      set(ids.town, {
        xAxis: { data: data.town.map((r) => r[0]) },
        series: [{ data: data.town.map((r) => r[1]) }],
      });
      set(ids.day, {
        xAxis: { data: data.day.map((r) => r[0]) },
        series: [{ data: data.day.map((r) => r[1]) }],
      });
      set(ids.s11, {
        xAxis: { data: data.years },
        series: Object.entries(data.s11).map(([name, values]) => ({
          name,
          type: "line",
          data: values,
        })),
      });
    },

    _drawWorkers(ctx, map) {
      const size = map.getSize();
      for (const [color, wantFull] of [
        ["rgba(74,222,128,0.55)", 0],
        ["rgba(34,197,94,0.95)", 1],
      ]) {
        ctx.beginPath();
        const r = wantFull ? 2.2 : 1.6;
        for (const w of this.workers.values()) {
          if (w[2] !== wantFull) continue;
          const p = map.latLngToContainerPoint([w[1], w[0]]);
          if (p.x < -4 || p.y < -4 || p.x > size.x + 4 || p.y > size.y + 4) continue;
          ctx.moveTo(p.x + r, p.y);
          ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
        }
        ctx.fillStyle = color;
        ctx.fill();
      }
    },

    _drawEvents(ctx, map) {
      const size = map.getSize();
      const overdue = [];
      for (const severity of [1, 2, 3, 4]) {
        ctx.beginPath();
        const r = 2.5 + severity;
        for (const [code, e] of this.events) {
          if (e[2] !== severity) continue;
          const p = map.latLngToContainerPoint([e[1], e[0]]);
          if (p.x < -9 || p.y < -9 || p.x > size.x + 9 || p.y > size.y + 9) continue;
          ctx.moveTo(p.x + r, p.y);
          ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
          if (e[4]) overdue.push([p, r]);
        }
        ctx.fillStyle = SEVERITY[severity];
        ctx.globalAlpha = 0.85;
        ctx.fill();
      }
      ctx.globalAlpha = 1;
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 1.2;
      ctx.beginPath();
      for (const [p, r] of overdue) {
        ctx.moveTo(p.x + r + 2, p.y);
        ctx.arc(p.x, p.y, r + 2, 0, 2 * Math.PI);
      }
      ctx.stroke();
    },

    _drawAlarms(ctx, map) {
      if (!this.flashOn) return;
      ctx.beginPath();
      for (const e of this.events.values()) {
        if (!e[6]) continue;
        const p = map.latLngToContainerPoint([e[1], e[0]]);
        ctx.moveTo(p.x + 11, p.y);
        ctx.arc(p.x, p.y, 11, 0, 2 * Math.PI);
      }
      ctx.strokeStyle = "#ff2d2d";
      ctx.lineWidth = 3;
      ctx.stroke();
    },

    _popup(e) {
      const click = this.map.latLngToContainerPoint(e.latlng);
      let best = null;
      let bestDistance = 100; // 10 px squared
      for (const [code, ev] of this.events) {
        const p = this.map.latLngToContainerPoint([ev[1], ev[0]]);
        const d = (p.x - click.x) ** 2 + (p.y - click.y) ** 2;
        if (d < bestDistance) {
          best = [code, ev];
          bestDistance = d;
        }
      }
      if (!best) return;
      const [code, ev] = best;
      const t = this.cfg.text;
      const name = this.cfg.categories[ev[3]] || ev[3];
      const html =
        "<b>" + code + "</b><br>" + name + "<br>" + t.severity + " " + ev[2] +
        (ev[4] ? " · " + t.overdue : "") +
        '<br><a href="' + this.cfg.workbench + "?event=" + code + '">' + t.open + "</a>";
      L.popup().setLatLng([ev[1], ev[0]]).setContent(html).openOn(this.map);
    },

    _status(text) {
      const el = document.querySelector("[data-testid=map-status]");
      if (!el) return;
      el.textContent = text || "";
      el.setAttribute("data-loaded", text ? "0" : "1");
      el.setAttribute("data-workers", String(this.workers.size));
      el.setAttribute("data-events", String(this.events.size));
    },
  };
  window.zhiliScreen = screen;
})();
