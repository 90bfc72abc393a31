// The pin map (network/location_pin.html): the provider's own coverage from the page's GeoJSON
// endpoint and the site's pin; a click on the map moves the pin and fills the form's latitude
// and longitude, which the person then saves. No tiles unless the page names a tile server.
(function () {
  "use strict";
  const element = document.getElementById("pin-map");
  if (!element || typeof L === "undefined") {
    return;
  }
  const data = element.dataset;
  const latitude = document.getElementById("id_latitude");
  const longitude = document.getElementById("id_longitude");
  const status = document.getElementById("pin-status");
  const map = L.map(element, { attributionControl: Boolean(data.tileUrl) });
  if (data.tileUrl) {
    L.tileLayer(data.tileUrl, { attribution: data.tileAttribution || "", maxZoom: 19 }).addTo(map);
  }
  let pin = null;

  function place(lat, lon) {
    if (pin) {
      pin.setLatLng([lat, lon]);
    } else {
      pin = L.circleMarker([lat, lon], { radius: 9, color: "#b3261e", weight: 3, fillOpacity: 0.7 }).addTo(map);
    }
    pin.bringToFront();
  }

  const region = data.region ? data.region.split(",").map(Number) : null;
  if (data.lat && data.lon) {
    // The view first: a marker is drawn (and brought to the front) only on a map that has one.
    map.setView([Number(data.lat), Number(data.lon)], 14); // wide enough for the covered cells around it
    place(Number(data.lat), Number(data.lon));
  } else if (region) {
    map.fitBounds([[region[0], region[1]], [region[2], region[3]]]);
  } else if (data.centre) {
    map.setView(data.centre.split(",").map(Number), 12);
  } else {
    map.setView([39.8, -98.6], 4); // nothing known: the contiguous United States
  }

  function label(feature) {
    const text = document.createElement("span"); // text, never HTML: area names are typed by people
    const props = feature.properties || {};
    text.textContent = [props.name, props.technology].filter(Boolean).join(": ");
    return text;
  }

  fetch(data.coverageUrl, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then((response) => (response.ok ? response.json() : null))
    .then((geojson) => {
      if (!geojson) {
        return;
      }
      L.geoJSON(geojson, {
        style: (feature) => ({
          color: feature.properties.kind === "area" ? "#1d4ed8" : "#15803d",
          weight: 1,
          fillOpacity: 0.18,
        }),
        onEachFeature: (feature, layer) => layer.bindTooltip(() => label(feature)),
      }).addTo(map);
      if (pin) {
        pin.bringToFront();
      }
      element.dataset.coverageLoaded = String(geojson.features.length);
    });

  map.on("click", (event) => {
    const point = event.latlng.wrap();
    const lat = point.lat.toFixed(6);
    const lon = point.lng.toFixed(6);
    place(Number(lat), Number(lon));
    if (latitude && longitude) {
      latitude.value = lat;
      longitude.value = lon;
    }
    if (status) {
      status.textContent = `Pin moved to ${lat}, ${lon}: save it to keep it.`;
    }
  });
})();
