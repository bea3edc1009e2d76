// certreg: what stands in for the server on a static copy of the registry
// (certreg export). On the live site it does nothing.
//
// 1. The verdict page (#offline-verdict) checks the QR code's signature in
//    the browser: the token and the number come from the address, the
//    claims from the certificate's exported JSON record, the key from the
//    exported key set (docs/verification.md gives the formats); and shows
//    the latest export's time (/export.json).
// 2. The certificate list, opened with ?q= on a static copy (the page was
//    rendered without a query), searches the exported sharded index
//    (site/export_offline.go) and shows the matches.
(function () {
  "use strict";

  var B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

  // b32decode decodes unpadded RFC 4648 base32; null when a character is
  // not in the alphabet or the unused bits of the last one are set (every
  // signature has exactly one token).
  function b32decode(s) {
    var out = [], bits = 0, value = 0;
    for (var i = 0; i < s.length; i++) {
      var v = B32.indexOf(s.charAt(i));
      if (v < 0) {
        return null;
      }
      value = (value << 5) | v;
      bits += 5;
      if (bits >= 8) {
        bits -= 8;
        out.push((value >> bits) & 0xff);
      }
    }
    if ((value & ((1 << bits) - 1)) !== 0) {
      return null;
    }
    return new Uint8Array(out);
  }

  function b32encode(bytes) {
    var out = "", bits = 0, value = 0;
    for (var i = 0; i < bytes.length; i++) {
      value = (value << 8) | bytes[i];
      bits += 8;
      while (bits >= 5) {
        bits -= 5;
        out += B32.charAt((value >> bits) & 31);
      }
    }
    if (bits > 0) {
      out += B32.charAt((value << (5 - bits)) & 31);
    }
    return out;
  }

  function b64decode(s) {
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) {
      out[i] = bin.charCodeAt(i);
    }
    return out;
  }

  // claimsMessage is the signed message of docs/verification.md.
  function claimsMessage(r) {
    return [
      "certreg-claims/1",
      "number=" + String(r.number).toUpperCase(),
      "holder_credit_code=" + r.holder_credit_code,
      "scheme=" + r.scheme,
      "level=" + r.level,
      "issue_date=" + r.issue_date,
      "expiry_date=" + r.expiry_date,
      "body_approval=" + r.body_approval,
      "holder_name=" + r.holder_name
    ].join("\n");
  }

  function getJSON(url) {
    return fetch(url, { credentials: "omit" }).then(function (resp) {
      if (!resp.ok) {
        var err = new Error(url + ": " + resp.status);
        err.status = resp.status;
        throw err;
      }
      return resp.json();
    });
  }

  function checkVerdict(panel) {
    var out = document.getElementById("offline-sig");
    function say(kind, msgKey) {
      out.textContent = panel.getAttribute("data-msg-" + msgKey);
      out.className = "sig sig-" + kind;
      panel.setAttribute("data-result", kind);
      // Green for good, red for bad; no colour when nothing was checked.
      panel.className = "verdict-panel" + (kind === "good" ? " verdict-valid" : kind === "bad" ? " verdict-forged" : "");
    }
    // /V/<token>/<NUMBER>[/], or /en/V/…: the number may hold "/".
    var m = /\/V\/([^\/]+)\/(.+?)\/?$/i.exec(location.pathname);
    if (!m) {
      say("bad", "damaged");
      return;
    }
    var blob = b32decode(m[1].toUpperCase());
    var number = decodeURIComponent(m[2]).toUpperCase();
    if (!blob || blob.length !== 67 || !/^\S{1,40}$/.test(number)) {
      say("bad", "damaged");
      return;
    }
    if (!window.crypto || !crypto.subtle) {
      say("unchecked", "nocrypto");
      return;
    }
    out.textContent = panel.getAttribute("data-msg-checking");
    var keyID = b32encode(blob.subarray(0, 3));
    var sig = blob.subarray(3);
    var record = panel.getAttribute("data-record") ||
      "/api/v1/certificates/" + number.replace(/\//g, "~");
    Promise.all([getJSON(panel.getAttribute("data-keys")), getJSON(record).catch(function (err) {
      if (err.status === 404) {
        return null;
      }
      throw err;
    })]).then(function (got) {
      var set = got[0], doc = got[1];
      if (!doc) {
        say("bad", "missing");
        return;
      }
      var rec = doc.certificate || doc;
      var key = null;
      (set.keys || []).forEach(function (k) {
        if (k.id === keyID) {
          key = k;
        }
      });
      if (!key) {
        say("bad", "unknown");
        return;
      }
      if (String(rec.number).toUpperCase() !== number) {
        say("bad", "bad");
        return;
      }
      var msg = new TextEncoder().encode(claimsMessage(rec));
      return crypto.subtle.importKey("raw", b64decode(key.public_key), { name: "Ed25519" }, false, ["verify"])
        .then(function (k) {
          return crypto.subtle.verify({ name: "Ed25519" }, k, sig, msg);
        })
        .then(function (ok) {
          say(ok ? "good" : "bad", ok ? "good" : "bad");
        });
    }).catch(function (err) {
      // No Ed25519 in this browser's WebCrypto, or the exported files
      // could not be read: no verdict either way.
      panel.setAttribute("data-error", String(err && err.message || err));
      say("unchecked", "nocrypto");
    });
  }

  // A verdict page is rendered again only when its certificate changes;
  // the status it shows holds as of the latest export, whose time
  // /export.json gives.
  function refreshAsOf() {
    var el = document.getElementById("offline-asof");
    if (!el) {
      return;
    }
    var lang = document.documentElement.lang === "en" ? "en" : "zh";
    getJSON("/export.json").then(function (info) {
      var text = info["status_as_of_" + lang];
      if (typeof text === "string" && text) {
        el.textContent = text;
      }
    }).catch(function () {});
  }

  var panel = document.getElementById("offline-verdict");
  if (panel) {
    checkVerdict(panel);
    refreshAsOf();
  }

  // --- search and filters ---

  var MSG = {
    zh: {
      short: "请至少输入 2 个字符。",
      none: "没有找到匹配的证书。",
      found: "找到 %d 张证书（静态副本中的搜索：按持证单位名称、证书编号和统一社会信用代码，以及所选筛选条件；按发证日期从新到旧）。",
      more: "只显示前 %d 张。",
      failed: "静态副本的搜索索引无法读取。"
    },
    en: {
      short: "Type at least 2 characters.",
      none: "No certificate matches.",
      found: "%d certificates found (search in the static copy: holder name, certificate number and credit code, and the filters chosen; newest first).",
      more: "Only the first %d are shown.",
      failed: "The static copy's search index could not be read."
    }
  };
  var LIMIT = 50;
  // The list page's filters the index has a file for, by query parameter.
  var FILTERS = ["scheme", "level", "status", "province", "city", "body", "year"];

  function shardOf(bigram) {
    var cps = Array.from(bigram);
    return ((cps[0].codePointAt(0) * 31 + cps[1].codePointAt(0)) >>> 0) % 128;
  }

  function bigrams(q) {
    var cps = Array.from(q), out = [];
    for (var i = 0; i + 1 < cps.length; i++) {
      var bg = cps[i] + cps[i + 1];
      if (out.indexOf(bg) < 0) {
        out.push(bg);
      }
    }
    return out;
  }

  // intersect intersects ascending lists of ids, shortest first.
  function intersect(lists) {
    lists.sort(function (a, b) { return a.length - b.length; });
    var out = lists[0] || [];
    for (var k = 1; k < lists.length; k++) {
      var l = lists[k], next = [], j = 0;
      for (var i = 0; i < out.length; i++) {
        while (j < l.length && l[j] < out[i]) {
          j++;
        }
        if (j < l.length && l[j] === out[i]) {
          next.push(out[i]);
        }
      }
      out = next;
    }
    return out;
  }

  // search finds the certificates holding q (lower-cased; "" for none) and
  // matching every filter ({name, value}). Ids are numbered newest first,
  // so the first ones are what the live list shows first.
  function search(q, filters) {
    return getJSON("/search/meta.json").then(function (meta) {
      var fetches = bigrams(q).map(function (bg) {
        return getJSON("/search/b/" + (shardOf(bg) % meta.shards) + ".json").then(function (sh) {
          return sh[bg] || [];
        });
      });
      filters.forEach(function (f) {
        var i = ((meta.facets || {})[f.name] || []).indexOf(f.value);
        fetches.push(i < 0 ? Promise.resolve([]) : getJSON("/search/f/" + f.name + "/" + i + ".json"));
      });
      return Promise.all(fetches).then(function (lists) {
        var ids = intersect(lists);
        // With a query, a candidate must still hold the whole query: read
        // the summaries of the first few to check.
        var wanted = ids.slice(0, q ? 4 * LIMIT : LIMIT);
        var chunks = {};
        wanted.forEach(function (id) {
          chunks[Math.floor(id / meta.chunk)] = true;
        });
        return Promise.all(Object.keys(chunks).map(function (c) {
          return getJSON("/search/d/" + c + ".json").then(function (docs) {
            return { base: Number(c) * meta.chunk, docs: docs };
          });
        })).then(function (parts) {
          var byID = {};
          parts.forEach(function (p) {
            p.docs.forEach(function (d, i) { byID[p.base + i] = d; });
          });
          var hits = wanted.map(function (id) { return byID[id]; }).filter(function (d) {
            return d && (!q || d[1].toLowerCase().indexOf(q) >= 0 || d[0].toLowerCase().indexOf(q) >= 0 ||
              d[2].toLowerCase().indexOf(q) >= 0);
          });
          return {
            hits: hits, total: q ? hits.length : ids.length,
            more: q ? ids.length > wanted.length || hits.length > LIMIT : ids.length > LIMIT,
            statuses: meta.statuses, levels: meta.levels || {}
          };
        });
      });
    });
  }

  function showResults(q, filters, lang) {
    var msg = MSG[lang];
    var main = document.getElementById("main");
    var box = document.createElement("section");
    box.id = "offline-results";
    box.setAttribute("aria-live", "polite");
    var note = document.createElement("p");
    note.className = "summary";
    box.appendChild(note);
    // The list the page was rendered with (every certificate, unfiltered)
    // and its pages would mislead under a query: hide them.
    Array.prototype.forEach.call(main.querySelectorAll("section[aria-labelledby]"), function (el) {
      el.hidden = true;
    });
    var form = main.querySelector("form.filters");
    var anchor = form || main.querySelector("h1");
    if (anchor && anchor.nextSibling) {
      main.insertBefore(box, anchor.nextSibling);
    } else {
      main.appendChild(box);
    }
    if (q && Array.from(q).length < 2) {
      note.textContent = msg.short;
      return;
    }
    search(q, filters).then(function (r) {
      if (r.hits.length === 0) {
        note.textContent = msg.none;
        return;
      }
      note.textContent = msg.found.replace("%d", r.total) +
        (r.more ? " " + msg.more.replace("%d", LIMIT) : "");
      var ul = document.createElement("ul");
      ul.className = "results";
      var pick = lang === "en" ? 1 : 0;
      r.hits.slice(0, LIMIT).forEach(function (d) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.className = "holder";
        a.href = (lang === "en" ? "/en" : "") + "/certificates/" + encodeURIComponent(d[4]).replace(/%7E/g, "~");
        a.textContent = d[1];
        var meta = document.createElement("div");
        meta.className = "meta";
        var parts = [d[0], d[2], (r.statuses[d[3]] || [d[3], d[3]])[pick]];
        if (d[5] && r.levels[d[5]]) {
          parts.push(r.levels[d[5]][pick]);
        }
        if (d[8]) {
          parts.push(d[8]);
        }
        parts.forEach(function (t, i) {
          var span = document.createElement("span");
          span.textContent = t;
          if (i === 0) {
            span.className = "num mono";
          }
          meta.appendChild(span);
        });
        li.appendChild(a);
        li.appendChild(meta);
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }).catch(function () {
      note.textContent = msg.failed;
    });
  }

  // A static copy serves the certificate list's file whatever the query:
  // its search box and filters show nothing chosen although the address
  // asks for some. The live site renders the query into them, and this does
  // nothing. /export.json, written by the export only, confirms the copy.
  var params = new URLSearchParams(location.search);
  var main = document.getElementById("main");
  if (main && /\/certificates\/?$/.test(location.pathname)) {
    var q = (params.get("q") || "").trim();
    var filters = [], stale = false;
    var qBox = document.getElementById("f-q") || document.getElementById("site-q");
    if (q && qBox && qBox.value !== q) {
      stale = true;
    }
    FILTERS.forEach(function (name) {
      var v = (params.get(name) || "").trim();
      if (!v) {
        return;
      }
      filters.push({ name: name, value: v });
      var el = document.getElementById("f-" + name);
      if (el && el.value !== v) {
        stale = true;
      }
    });
    if (stale) {
      getJSON("/export.json").then(function () {
        // Show what was asked for in the form.
        ["f-q", "site-q"].forEach(function (id) {
          var el = document.getElementById(id);
          if (el && q) {
            el.value = q;
          }
        });
        filters.forEach(function (f) {
          var el = document.getElementById("f-" + f.name);
          if (el) {
            el.value = f.value;
          }
        });
        showResults(q.toLowerCase(), filters, document.documentElement.lang.indexOf("en") === 0 ? "en" : "zh");
      }).catch(function () {});
    }
  }
})();
