/* Coordinates for the map page's tools: parsing what a planner types (lon/lat, degrees-minutes-
 * seconds, CGCS2000 Gauss-Krüger X/Y with or without the zone prefix), the GK transforms
 * (vendored proj4, whose tmerc is the exact Poder/Engsager series PROJ uses), formatting, and
 * the true (WGS 84 / CGCS2000) position of a point shown on a GCJ-02 basemap.
 * Pure functions, no DOM: exposed as window.GS_COORDS. Loaded after map.js. */
(function () {
  "use strict";

  /* CGCS2000 uses the GRS 1980 ellipsoid; CGCS2000 and WGS 84 differ by centimetres, and the
   * layers' lon/lat are used as CGCS2000 as they are (as pyproj does from EPSG:4490). */
  var ELLIPSOID = { a: 6378137, f: 1 / 298.257222101 };
  /* 3-degree zones of China: 25 (CM 75°E) to 45 (CM 135°E). */
  var ZONE_MIN = 25, ZONE_MAX = 45;
  /* Ankang lies in zones 36 (CM 108°E, most of it) and 37 (CM 111°E, the east of 旬阳/白河). */
  var DEFAULT_ZONE = 36;
  var ZONE_CHOICES = [36, 37];

  function zoneOf(lon) { return Math.round(lon / 3); }
  function centralMeridian(zone) { return zone * 3; }
  /* EPSG:4513-4533 with the zone prefix in Y, EPSG:4534-4554 without. */
  function epsg(zone, prefixed) { return (prefixed ? 4513 : 4534) + zone - ZONE_MIN; }

  var projections = {};
  function projection(zone) {
    if (!projections[zone]) {
      projections[zone] = proj4("+proj=tmerc +lat_0=0 +lon_0=" + centralMeridian(zone) +
        " +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs");
    }
    return projections[zone];
  }

  /* lon/lat (degrees) to GK of `zone`: x = northing, y = easting without the prefix (metres). */
  function toGK(lon, lat, zone) {
    var p = projection(zone).forward([lon, lat]);
    return { zone: zone, x: p[1], y: p[0], yPrefixed: zone * 1e6 + p[0] };
  }
  function fromGK(x, y, zone) {
    var p = projection(zone).inverse([y, x]);
    return { lon: p[0], lat: p[1] };
  }

  /* ---- formatting ------------------------------------------------------------------------ */
  function fixed(value, digits) {
    var text = value.toFixed(digits);
    return /^-0\.?0*$/.test(text) ? text.slice(1) : text;
  }
  function dms(value, positive, negative) {
    var hundredths = Math.round(Math.abs(value) * 360000);
    var deg = Math.floor(hundredths / 360000);
    var min = Math.floor((hundredths % 360000) / 6000);
    var sec = (hundredths % 6000) / 100;
    return deg + "°" + (min < 10 ? "0" : "") + min + "′" + (sec < 10 ? "0" : "") +
      sec.toFixed(2) + "″" + (value < 0 ? negative : positive);
  }
  function formatLonLat(lon, lat) {
    return fixed(lon, 6) + "°" + (lon < 0 ? "W" : "E") + ", " + fixed(lat, 6) + "°" + (lat < 0 ? "S" : "N");
  }
  function formatDMS(lon, lat) { return dms(lon, "E", "W") + ", " + dms(lat, "N", "S"); }
  /* "X 3620000.00 m, Y 36 512345.60 m": Y with its zone prefix, as land documents write it. */
  function formatGK(gk) {
    return "X " + fixed(gk.x, 2) + " m, Y " + gk.zone + " " + fixed(gk.y, 2) + " m";
  }
  function zoneName(zone) {
    return "第" + zone + "带（中央经线 " + centralMeridian(zone) + "°E）";
  }

  /* ---- parsing --------------------------------------------------------------------------- */
  var FULL_WIDTH = /[\uFF01-\uFF5E]/g;
  var REPLACE = [
    [/\u3000/g, " "], [/北纬/g, "N"], [/南纬/g, "S"], [/东经/g, "E"], [/西经/g, "W"],
    [/经度/g, "LON"], [/纬度/g, "LAT"], [/[、]/g, ","],
    [/[º˚度]/g, "°"], [/''|′′|’’|[″"”“秒]/g, "″"], [/['’‘分]/g, "′"],
    [/[−–—]/g, "-"]
  ];
  /* a number, in degrees with optional minutes and seconds when it has a ° */
  var NUMBER = "([-+]?\\d+(?:\\.\\d+)?)(?:\\s*°(?:\\s*(\\d+(?:\\.\\d+)?)\\s*′)?(?:\\s*(\\d+(?:\\.\\d+)?)\\s*″)?)?";
  /* A label before a number (N32.7, X=3619000, 经度 108.9) or a hemisphere after it (108.9E).
   * "108.9 N 32.7" and "108.9 E 32.7 N" read differently depending on where a letter belongs, so
   * three readings are tried in turn: a letter right before a digit starts the next value;
   * a letter before a number always starts it; letters only after numbers ("108.9E32.7N"). */
  function valueRegex(prefix, suffixNotBefore) {
    var after = "(?:\\s*([NSEW])" + suffixNotBefore + ")?";
    return new RegExp((prefix ? "(?:(LON|LAT|X|Y|[NSEW])\\s*[:=]?\\s*" + NUMBER + ")|" : "(?:(?!)()" + NUMBER + ")|") +
      "(?:" + NUMBER + after + ")", "gi");
  }
  /* (without the label alternative, its never-matching stand-in keeps the group numbers) */
  var READINGS = [
    valueRegex(true, "(?![-+]?\\d)"), valueRegex(true, "(?!\\s*[-+]?\\d)"), valueRegex(false, "")
  ];
  var AXIS = { N: "lat", S: "lat", LAT: "lat", E: "lon", W: "lon", LON: "lon", X: "x", Y: "y" };

  function normalise(text) {
    var out = String(text).replace(FULL_WIDTH, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xFEE0);
    });
    REPLACE.forEach(function (pair) { out = out.replace(pair[0], pair[1]); });
    /* "36 512345.6": a 2-digit zone prefix written apart from a 6-digit easting */
    return out.replace(/(^|[^\d.])(\d{2})\s+(\d{6}(?:\.\d+)?)(?![\d.])/g, "$1$2$3").trim();
  }

  function fail(message) { return { error: message }; }

  function values(text, VALUE) {
    var found = [], rest = "", last = 0, match;
    VALUE.lastIndex = 0;
    while ((match = VALUE.exec(text)) !== null) {
      rest += text.slice(last, match.index);
      last = VALUE.lastIndex;
      var prefixed = match[1] !== undefined, at = prefixed ? 2 : 5;
      var label = (prefixed ? match[1] : match[8] || "").toUpperCase();
      var whole = match[at], minutes = match[at + 1], seconds = match[at + 2];
      var number = Math.abs(parseFloat(whole));
      minutes = minutes === undefined ? 0 : parseFloat(minutes);
      seconds = seconds === undefined ? 0 : parseFloat(seconds);
      if (minutes >= 60 || seconds >= 60) { return fail("分、秒应小于 60：“" + match[0] + "”"); }
      var sign = whole.charAt(0) === "-" || label === "S" || label === "W" ? -1 : 1;
      found.push({
        text: match[0], value: sign * (number + minutes / 60 + seconds / 3600),
        degrees: match[0].indexOf("°") >= 0, dms: /[′″]/.test(match[0]), axis: label ? AXIS[label] : null
      });
    }
    rest += text.slice(last);
    if (/[^\s,;]/.test(rest)) { return fail("无法识别的内容：“" + rest.replace(/[\s,;]+/g, " ").trim() + "”"); }
    if (found.length !== 2) { return fail("坐标需要两个数（经度和纬度，或 X 和 Y），这里有 " + found.length + " 个"); }
    return found;
  }

  function geographic(pair, notes) {
    var a = pair[0], b = pair[1], lon, lat;
    if (a.axis === "x" || a.axis === "y" || b.axis === "x" || b.axis === "y") {
      return fail("经纬度不用 X/Y 标记；X/Y 用于高斯平面坐标（米）");
    }
    if (a.axis && b.axis && a.axis === b.axis) { return fail("两个数都标为" + (a.axis === "lon" ? "经度" : "纬度")); }
    if (a.axis || b.axis) {
      var first = a.axis ? a : b, other = first === a ? b : a;
      lon = first.axis === "lon" ? first.value : other.value;
      lat = first.axis === "lat" ? first.value : other.value;
    } else if (Math.abs(a.value) <= 180 && Math.abs(b.value) <= 90) {
      lon = a.value; lat = b.value;
    } else if (Math.abs(a.value) <= 90 && Math.abs(b.value) <= 180) {
      lat = a.value; lon = b.value;
      notes.push("第二个数超出纬度范围（±90°），已按“纬度, 经度”理解");
    } else {
      return fail("经度应在 ±180° 以内、纬度在 ±90° 以内");
    }
    if (Math.abs(lat) > 90) { return fail("纬度应在 ±90° 以内"); }
    if (Math.abs(lon) > 180) { return fail("经度应在 ±180° 以内"); }
    return { lon: lon, lat: lat };
  }

  function gaussKruger(pair, chosenZone, notes) {
    var north = null, east = null;
    for (var i = 0; i < 2; i++) {
      var v = pair[i], size = Math.abs(v.value);
      if (v.axis === "lon" || v.axis === "lat") { return fail("高斯坐标（米）不用经纬度标记"); }
      if (v.value < 0) { return fail("高斯坐标不应为负数：" + v.text); }
      if (size >= 1e6 && size < 1e7 && north === null) { north = v; }
      else if (((size >= 1e7 && size < 1e8) || (size >= 1e5 && size < 1e6)) && east === null) { east = v; }
      else {
        return fail("高斯坐标需要 X（北坐标，7 位整数）和 Y（东坐标，6 位整数，或前加 2 位带号共 8 位）");
      }
    }
    if ((north.axis === "y") || (east.axis === "x")) {
      notes.push("X 为北坐标（纵）、Y 为东坐标（横）：已按数值大小理解");
    }
    var zone, y = east.value, prefixed = y >= 1e7;
    if (prefixed) {
      zone = Math.floor(y / 1e6);
      if (zone < ZONE_MIN || zone > ZONE_MAX) {
        return fail("带号 " + zone + " 不是 CGCS2000 3度带的带号（" + ZONE_MIN + "–" + ZONE_MAX + "）；6度带坐标请先换算为3度带");
      }
      y -= zone * 1e6;
      notes.push("Y 带号 " + zone + "：" + zoneName(zone) + "，EPSG:" + epsg(zone, true));
    } else {
      zone = chosenZone || DEFAULT_ZONE;
      notes.push("Y 无带号，按所选" + zoneName(zone) + "计算，EPSG:" + epsg(zone, false));
    }
    var ll = fromGK(north.value, y, zone);
    if (Math.abs(ll.lon - centralMeridian(zone)) > 1.5 + 1e-9) {
      notes.push("该点在" + zoneName(zone) + "的 ±1.5° 范围以外（带号或所选带号可能不对）");
    }
    return { lon: ll.lon, lat: ll.lat, zone: zone, x: north.value, y: y, prefixed: prefixed,
             epsg: epsg(zone, prefixed) };
  }

  /* What the text says, as {lon, lat, kind, notes, ...} or {error}: the error is a Chinese
   * sentence, to be shown with textContent. `chosenZone` is the zone for GK Y without prefix. */
  function parse(text, chosenZone) {
    var clean = normalise(text);
    if (!/\d/.test(clean)) { return fail("没有数字"); }
    var first = null;
    for (var i = 0; i < READINGS.length; i++) {
      var result = reading(clean, READINGS[i], chosenZone);
      if (!result.error) { return result; }
      first = first || result;
    }
    return first;
  }

  function reading(clean, regex, chosenZone) {
    var pair = values(clean, regex);
    if (pair.error) { return pair; }
    var notes = [], result;
    var degrees = pair.some(function (v) { return v.degrees || v.axis === "lon" || v.axis === "lat"; });
    var small = pair.every(function (v) { return Math.abs(v.value) <= 180; });
    var large = pair.every(function (v) { return Math.abs(v.value) >= 1e5; });
    if (degrees || small) {
      result = geographic(pair, notes);
      if (!result.error) { result.kind = pair.some(function (v) { return v.dms; }) ? "dms" : "lonlat"; }
    } else if (large) {
      result = gaussKruger(pair, chosenZone, notes);
      if (!result.error) { result.kind = "gk"; }
    } else {
      result = fail("既不像经纬度（度）也不像高斯坐标（米）");
    }
    if (!result.error) { result.notes = notes; }
    return result;
  }

  /* ---- the true position of a point on a GCJ-02 basemap ---------------------------------- */
  function gcjShown() { return !!(window.GS_MAP && window.GS_MAP.state.gcj02); }
  /* A point the map shows (GCJ-02 while a GCJ-02 basemap is on) to its WGS 84 position. */
  function trueLatLng(latlng) {
    if (!gcjShown()) { return L.latLng(latlng.lat, latlng.lng); }
    var w = L.latLng(latlng.lat, latlng.lng);
    for (var i = 0; i < 10; i++) {
      var g = window.GS_MAP.toGcj(w);
      w = L.latLng(w.lat - (g.lat - latlng.lat), w.lng - (g.lng - latlng.lng));
    }
    return w;
  }
  /* A WGS 84 position to where the map shows it. */
  function shownLatLng(latlng) {
    return gcjShown() ? window.GS_MAP.toGcj(L.latLng(latlng.lat, latlng.lng)) : L.latLng(latlng.lat, latlng.lng);
  }

  window.GS_COORDS = {
    ELLIPSOID: ELLIPSOID, DEFAULT_ZONE: DEFAULT_ZONE, ZONE_CHOICES: ZONE_CHOICES,
    zoneOf: zoneOf, centralMeridian: centralMeridian, epsg: epsg, zoneName: zoneName,
    toGK: toGK, fromGK: fromGK, parse: parse, normalise: normalise,
    fixed: fixed, formatLonLat: formatLonLat, formatDMS: formatDMS, formatGK: formatGK,
    trueLatLng: trueLatLng, shownLatLng: shownLatLng
  };
})();
