/* Skills Engine try-it widget: type skills, see job titles with salary, demand and growth.
 *
 * Two backends, one page:
 *  - the API (`data-api="https://host"`, or `data-api=""` for the page's own origin): the
 *    service's POST /recommend and GET /skills;
 *  - a static model (`data-model="try-it/model.json"`, written by
 *    skills_engine.api_export.export_static_model): the ranking runs in the browser, with the
 *    formula of SkillProfileLM.score_one:
 *      score(o) = sum of weight[o, s] over the chosen skills s
 *                 - (number of chosen skills) * length_penalty[o] + prior_weight * log_prior[o]
 *
 * Embed: <div id="skills-engine"></div>
 *        <script src="https://host/static/skills-engine.js" data-api="https://host"
 *                data-target="#skills-engine"></script>
 * or call SkillsEngine.mount(element, {api: "https://host"}) / ({model: "model.json"}).
 * The page reads ?skills=a;b&region=north-east&k=10 to prefill the form and search at once.
 * Everything from the data is written with textContent, never as HTML.
 */
(function (global) {
  "use strict";

  var MODEL_VERSION = 1;
  var SUGGEST_MIN_CHARS = 2;
  var SUGGEST_LIMIT = 8;
  var SUGGEST_DELAY_MS = 150;

  function normalise(text) {
    return String(text).toLowerCase().replace(/[^a-z0-9+#]+/g, " ").trim();
  }

  function splitSkills(text) {
    return String(text).split(/[;\n]/).map(function (s) { return s.trim(); }).filter(Boolean);
  }

  function slugify(text) {
    return String(text).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      if (child !== null && child !== undefined) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function money(value) { return value === null || value === undefined ? "–" : "£" + Math.round(value).toLocaleString("en-GB"); }
  // A signed change as every page of the project writes it (skills_engine.intervals.format_signed):
  // "+" or a true minus (U+2212), and no sign on a change that rounds to zero.
  function percent(value) {
    if (value === null || value === undefined) return "–";
    var p = Math.abs(value * 100).toFixed(1);
    if (Number(p) === 0) return p + "%";
    return (value > 0 ? "+" : "\u2212") + p + "%";
  }

  // --- backends ------------------------------------------------------------------------------

  function readJSON(response) {
    return response.json().catch(function () { return {}; }).then(function (body) {
      if (!response.ok) throw new Error(body.detail || ("the service answered " + response.status));
      return body;
    });
  }

  function apiBackend(base) {
    base = String(base || "").replace(/\/+$/, "");
    return {
      kind: "api",
      regions: function () {
        return fetch(base + "/regions").then(readJSON).then(function (body) { return body.regions.map(function (r) { return r.name; }); });
      },
      suggest: function (query, limit) {
        return fetch(base + "/skills?q=" + encodeURIComponent(query) + "&limit=" + limit).then(readJSON)
          .then(function (body) { return body.results.map(function (r) { return r.label; }); });
      },
      recommend: function (skills, region, k) {
        return fetch(base + "/recommend", {
          method: "POST", headers: {"Content-Type": "application/json"},
          body: JSON.stringify({skills: skills, region: region || null, k: k}),
        }).then(readJSON);
      },
    };
  }

  function prepareModel(model) {
    if (!model || model.version !== MODEL_VERSION) throw new Error("this page needs model version " + MODEL_VERSION);
    var keys = new Map();
    model.skills.labels.forEach(function (label, i) { var key = normalise(label); if (!keys.has(key)) keys.set(key, i); });
    model.skills.alt.forEach(function (joined, i) {
      joined.split("|").forEach(function (key) { if (key && !keys.has(key)) keys.set(key, i); });
    });
    // Skill-major index of the weights: a query touches only its skills' occupations.
    var bySkill = model.skills.labels.map(function () { return []; });
    model.occupations.forEach(function (o, row) {
      for (var j = 0; j < o.s.length; j++) bySkill[o.s[j]].push(row, o.w[j]);
    });
    model._keys = keys;
    model._bySkill = bySkill;
    model._keyList = Array.from(keys.keys()).sort(function (a, b) { return a.length - b.length || (a < b ? -1 : 1); });
    return model;
  }

  function searchKeys(model, query, limit) {
    var needle = normalise(query), found = [], seen = new Set();
    if (!needle) return found;
    var tests = [
      function (key) { return key.indexOf(needle) === 0; },
      function (key) { return key.indexOf(" " + needle) >= 0; },
      function (key) { return key.indexOf(needle) >= 0; },
    ];
    for (var t = 0; t < tests.length && found.length < limit; t++) {
      for (var i = 0; i < model._keyList.length && found.length < limit; i++) {
        var key = model._keyList[i], id = model._keys.get(key);
        if (!seen.has(id) && tests[t](key)) { seen.add(id); found.push(model.skills.labels[id]); }
      }
    }
    return found;
  }

  function rankModel(model, inputs, region, k) {
    var chosen = [], understood = [], unknown = [], duplicates = [];
    inputs.forEach(function (text) {
      var key = normalise(text);
      if (!key) return;
      if (!model._keys.has(key)) {
        unknown.push({input: text, suggestions: searchKeys(model, text, 3).map(function (label) { return {label: label}; })});
        return;
      }
      var id = model._keys.get(key);
      if (chosen.indexOf(id) >= 0) { duplicates.push(text); return; }
      chosen.push(id);
      understood.push({input: text, label: model.skills.labels[id]});
    });
    var messages = [];
    if (duplicates.length) messages.push("ignored " + duplicates.length + " duplicate skill(s): " + duplicates.join(", "));
    if (unknown.length) messages.push(unknown.length + " skill(s) not recognised; see the close matches");
    var occupations = model.occupations, n = chosen.length;
    var matched = new Float64Array(occupations.length);
    chosen.forEach(function (s) {
      var list = model._bySkill[s];
      for (var j = 0; j < list.length; j += 2) matched[list[j]] += list[j + 1];
    });
    var results = [];
    if (n) {
      var scores = new Float64Array(occupations.length), order = [];
      for (var row = 0; row < occupations.length; row++) {
        scores[row] = matched[row] - n * occupations[row].lp + model.prior_weight * occupations[row].pr;
        order.push(row);
      }
      order.sort(function (a, b) { return scores[b] - scores[a] || a - b; });
      var have = new Set(chosen), r = model.regions.indexOf(region);
      order.slice(0, k).forEach(function (row, i) {
        var o = occupations[row], matchedSkills = [], missing = [];
        o.s.forEach(function (s) {
          if (have.has(s)) matchedSkills.push({label: model.skills.labels[s]});
          else if (missing.length < model.n_missing) missing.push({label: model.skills.labels[s]});
        });
        var local = r >= 0 ? (o.r[String(r)] || [null, null, null]) : null;
        var sector = o.sec === null ? null : model.sectors[o.sec];
        var area = region || "United Kingdom", areaGrowth = model.area_growth[area] || {};
        results.push({
          rank: i + 1, occupation_uri: o.u, title: o.t, isco_code: o.i, score: Math.round(scores[row] * 1e4) / 1e4,
          matched_skills: chosen.filter(function (s) { return o.s.indexOf(s) >= 0; }).map(function (s) { return {label: model.skills.labels[s]}; }),
          missing_skills: missing,
          salary: {
            national_median_gbp: o.sal[0], national_n: o.sal[1],
            source: o.sal[2] === "ashe" ? model.sources.ashe : (o.sal[2] ? model.sources.salary : null),
            region_median_gbp: local ? local[0] : undefined, region_n: local ? local[1] : undefined,
            note: local && local[0] === null ? "fewer than " + model.min_count + " priced adverts in " + region + ": no regional median" : null,
          },
          demand: {national_adverts: o.dem, region_adverts: local ? local[2] : undefined},
          growth: {sector: sector ? sector.name : null, sector_change_12m: sector ? sector.change_12m : null,
                   area: area, area_change_12m: areaGrowth.change_12m === undefined ? null : areaGrowth.change_12m},
        });
      });
    } else {
      messages.push("none of the skills matched ESCO, so nothing can be recommended yet");
    }
    return {query: {skills: understood, unknown: unknown, region: region || null, k: k}, results: results, messages: messages};
  }

  function staticBackend(url) {
    var loading = null;
    function load() {
      if (!loading) {
        loading = fetch(url).then(function (response) {
          if (!response.ok) throw new Error("the model could not be loaded (" + response.status + ")");
          return response.json();
        }).then(prepareModel);
      }
      return loading;
    }
    return {
      kind: "static",
      regions: function () { return load().then(function (model) { return model.regions; }); },
      suggest: function (query, limit) { return load().then(function (model) { return searchKeys(model, query, limit); }); },
      recommend: function (skills, region, k) {
        return load().then(function (model) {
          if (!skills.length) throw new Error("no skills given: enter at least one skill, e.g. 'patient care; record keeping'");
          return rankModel(model, skills, region, k);
        });
      },
    };
  }

  // --- the widget ------------------------------------------------------------------------------

  function renderResult(item, region) {
    var salary = item.salary || {}, demand = item.demand || {}, growth = item.growth || {};
    var pay = "Median advertised salary: " + money(salary.national_median_gbp) + " UK" +
      (salary.national_n ? " (" + salary.national_n + " adverts)" : (salary.source && /ASHE/.test(salary.source) ? " (ASHE 2019)" : ""));
    if (region) pay += "; " + money(salary.region_median_gbp) + " in " + region + (salary.region_n ? " (" + salary.region_n + " adverts)" : "");
    var adverts = "Adverts: " + (demand.national_adverts === null || demand.national_adverts === undefined ? "fewer than the published minimum" : demand.national_adverts) + " UK";
    if (region) adverts += "; " + (demand.region_adverts === null || demand.region_adverts === undefined ? "too few to publish" : demand.region_adverts) + " in " + region;
    var trend = "Postings over 12 months: " + (growth.sector ? growth.sector + " " + percent(growth.sector_change_12m) + "; " : "") +
      (growth.area || "United Kingdom") + " " + percent(growth.area_change_12m);
    var label = (item.matched_skills || []).map(function (s) { return s.label; }).join(", ") || "–";
    var add = (item.missing_skills || []).map(function (s) { return s.label; }).join(", ") || "–";
    return el("li", {className: "se-result", "data-uri": item.occupation_uri, "data-score": String(item.score)}, [
      el("div", {className: "se-title"}, [el("strong", {text: item.title}), item.isco_code ? el("span", {className: "se-isco", text: " ISCO " + item.isco_code}) : null]),
      el("div", {className: "se-fact", text: pay}),
      el("div", {className: "se-fact", text: adverts}),
      el("div", {className: "se-fact", text: trend}),
      el("div", {className: "se-skills-have"}, [el("span", {className: "se-key", text: "Your matching skills: "}), label]),
      el("div", {className: "se-skills-add"}, [el("span", {className: "se-key", text: "Skills to add: "}), add]),
    ]);
  }

  function mount(root, options) {
    root = typeof root === "string" ? document.querySelector(root) : root;
    options = options || {};
    if (!root) throw new Error("SkillsEngine.mount: no element to mount on");
    var backend = options.api !== undefined && options.api !== null ? apiBackend(options.api) : staticBackend(options.model || "model.json");
    root.classList.add("skills-engine");
    root.setAttribute("data-state", "idle");
    root.setAttribute("data-backend", backend.kind);

    var uid = "se-" + Math.random().toString(36).slice(2, 8);
    var input = el("input", {id: uid + "-skills", className: "se-skills", type: "text", name: "skills", autocomplete: "off",
      placeholder: "e.g. use spreadsheets software; customer service; manage budgets", "aria-describedby": uid + "-hint"});
    var suggestions = el("div", {className: "se-suggestions", role: "listbox", "aria-label": "Matching ESCO skills"});
    var regionSelect = el("select", {className: "se-region", name: "region", id: uid + "-region"}, [el("option", {value: "", text: "Whole UK"})]);
    var kSelect = el("select", {className: "se-k", name: "k", id: uid + "-k"},
      [5, 10, 20, 50].map(function (n) { return el("option", {value: String(n), text: String(n)}); }));
    kSelect.value = "10";
    var button = el("button", {type: "submit", className: "se-submit", text: "Find job titles"});
    var form = el("form", {className: "se-form", novalidate: "novalidate"}, [
      el("label", {"for": input.id, text: "Your skills"}), input,
      el("p", {id: uid + "-hint", className: "se-hint", text: "Separate skills with semicolons. Suggestions come from the ESCO skills taxonomy."}),
      suggestions,
      el("div", {className: "se-options"}, [
        el("label", {"for": regionSelect.id, text: "Region "}), regionSelect,
        el("label", {"for": kSelect.id, text: " Results "}), kSelect, " ", button,
      ]),
    ]);
    var status = el("p", {className: "se-status", role: "status", "aria-live": "polite"});
    var understood = el("div", {className: "se-understood"});
    var results = el("ol", {className: "se-results"});
    var sources = el("p", {className: "se-sources"});
    [form, status, understood, results, sources].forEach(function (node) { root.appendChild(node); });

    var regionsReady = backend.regions().then(function (names) {
      names.forEach(function (name) { regionSelect.appendChild(el("option", {value: name, text: name})); });
    }).catch(function () { /* the form still works for the whole UK */ });

    var timer = null, lastQuery = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var parts = input.value.split(";"), current = parts[parts.length - 1].trim();
      if (current.length < SUGGEST_MIN_CHARS) { suggestions.textContent = ""; return; }
      timer = setTimeout(function () {
        lastQuery = current;
        backend.suggest(current, SUGGEST_LIMIT).then(function (labels) {
          if (lastQuery !== current) return;
          suggestions.textContent = "";
          labels.forEach(function (label) {
            var chip = el("button", {type: "button", className: "se-suggestion", role: "option", text: label});
            chip.addEventListener("click", function () {
              var kept = input.value.split(";").slice(0, -1).map(function (s) { return s.trim(); }).filter(Boolean);
              kept.push(label);
              input.value = kept.join("; ") + "; ";
              suggestions.textContent = "";
              input.focus();
            });
            suggestions.appendChild(chip);
          });
        }).catch(function () { suggestions.textContent = ""; });
      }, SUGGEST_DELAY_MS);
    });

    function show(answer, region) {
      results.textContent = ""; understood.textContent = ""; sources.textContent = "";
      var query = answer.query || {};
      if ((query.skills || []).length) {
        understood.appendChild(el("p", {className: "se-known", text: "Skills understood: " + query.skills.map(function (s) {
          return normalise(s.input) === normalise(s.label) ? s.label : s.input + " → " + s.label;
        }).join("; ")}));
      }
      (query.unknown || []).forEach(function (u) {
        var close = (u.suggestions || []).map(function (s) { return s.label; }).join(", ") || "no close match";
        understood.appendChild(el("p", {className: "se-unknown", text: "Not recognised: “" + u.input + "” (did you mean: " + close + "?)"}));
      });
      (answer.messages || []).forEach(function (m) { if (!/not recognised/.test(m)) understood.appendChild(el("p", {className: "se-message", text: m})); });
      (answer.results || []).forEach(function (item) { results.appendChild(renderResult(item, region)); });
      sources.textContent = answer.results && answer.results.length ?
        "Salary and adverts: UK job adverts matched to ESCO occupations (NHS Jobs 2020, Reed, Adzuna 2013); counts below the published minimum are withheld. " +
        "Growth: Indeed Hiring Lab job postings index (CC BY 4.0)." : "";
      status.textContent = (answer.results || []).length + " job titles" + (region ? " for " + region : "");
      root.setAttribute("data-count", String((answer.results || []).length));
      root.setAttribute("data-state", "done");
    }

    function submit() {
      var skills = splitSkills(input.value), region = regionSelect.value || null, k = parseInt(kSelect.value, 10) || 10;
      suggestions.textContent = "";
      if (!skills.length) {
        status.textContent = "Enter at least one skill.";
        root.setAttribute("data-state", "error");
        return Promise.resolve();
      }
      root.setAttribute("data-state", "loading");
      status.textContent = "Looking…";
      button.disabled = true;
      return backend.recommend(skills, region, k).then(function (answer) { show(answer, region); }).catch(function (error) {
        results.textContent = "";
        status.textContent = "Sorry: " + error.message;
        root.setAttribute("data-state", "error");
      }).then(function () { button.disabled = false; });
    }

    form.addEventListener("submit", function (event) { event.preventDefault(); submit(); });

    if (options.readUrl !== false) {
      var params = new URLSearchParams(global.location ? global.location.search : "");
      if (params.get("k")) kSelect.value = ["5", "10", "20", "50"].indexOf(params.get("k")) >= 0 ? params.get("k") : "10";
      if (params.get("skills")) {
        input.value = params.get("skills");
        regionsReady.then(function () {
          var wanted = params.get("region");
          if (wanted) {
            var match = Array.prototype.find.call(regionSelect.options, function (o) { return o.value && slugify(o.value) === slugify(wanted); });
            if (match) regionSelect.value = match.value;
          }
          submit();
        });
      }
    }
    return {submit: submit, backend: backend, root: root};
  }

  global.SkillsEngine = {mount: mount, normalise: normalise, prepareModel: prepareModel, rankModel: rankModel};

  // Auto-mount from the script tag's data attributes.
  var script = document.currentScript;
  if (script && (script.hasAttribute("data-api") || script.hasAttribute("data-model"))) {
    var start = function () {
      var target = script.getAttribute("data-target");
      var root = target ? document.querySelector(target) : null;
      if (!root) { root = document.createElement("div"); script.parentNode.insertBefore(root, script); }
      if (script.getAttribute("data-css") !== "none" && !document.querySelector("link[data-skills-engine]")) {
        var link = document.createElement("link");
        link.rel = "stylesheet"; link.href = new URL("skills-engine.css", script.src).href; link.setAttribute("data-skills-engine", "");
        document.head.appendChild(link);
      }
      var api = script.getAttribute("data-api");
      mount(root, script.hasAttribute("data-api") ? {api: api === "" ? "" : api} : {model: script.getAttribute("data-model")});
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
  }
})(window);
