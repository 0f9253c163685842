// The Forkrunner dashboard: reads the REST API of this serve every 2 s and draws jobs, runs, a run's steps, forks
// and backups. Every value reaches the page as text through the DOM (el() below), never parsed as HTML.
'use strict';

(() => {
  const POLL_MS = 2000;
  const TOKEN_KEY = 'forkrunner.token';
  const STEPS = ['pick-backup', 'provision', 'restore-data', 'copy-configuration', 'copy-users-and-pools',
    'reapply-integrations', 'verify', 'register'];
  const DAY_MS = 24 * 3600 * 1000;
  const ACTION_ERROR_MS = 20000;

  const state = {
    token: null,
    selectedRun: null,
    data: null,
    pollError: '',
    actionError: '',
    actionErrorAt: 0,
    timer: null,
    openReports: new Set(),
    drawn: {},
  };

  // ---- the API

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const headers = { Authorization: 'Bearer ' + state.token };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    let response;
    try {
      response = await fetch('api' + path, {
        method,
        headers,
        cache: 'no-store',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, method + ' /api' + path + ': serve does not answer (' + e.message + ')');
    }
    const text = await response.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch (e) {
      json = null;
    }
    if (!response.ok) {
      const detail = json && (json.detail || json.title);
      throw new ApiError(response.status,
        method + ' /api' + path + ': ' + response.status + ' ' + (detail || response.statusText));
    }
    return json;
  }

  const enc = encodeURIComponent;

  async function load() {
    const [jobs, runs, forks, services] = await Promise.all([
      api('GET', '/jobs'), api('GET', '/runs'), api('GET', '/forks'), api('GET', '/services')]);
    const backups = await Promise.all(services.map((s) => api('GET', '/services/' + enc(s.name) + '/backups')));
    let selected = runs.find((run) => run.run === state.selectedRun) || null;
    if (!selected && state.selectedRun !== null) {
      selected = await api('GET', '/runs/' + enc(state.selectedRun));
    }
    return { jobs, runs, forks, services, backups, selected };
  }

  async function refresh() {
    clearTimeout(state.timer);
    if (state.token) {
      try {
        state.data = await load();
        state.pollError = '';
      } catch (e) {
        state.pollError = e.status === 401
          ? 'The token was refused (401): paste a token of config/forkrunner.yml api.tokens.'
          : e.message;
        if (e.status === 404 && state.selectedRun !== null) {
          state.selectedRun = null;
        }
      }
    }
    render();
    state.timer = setTimeout(refresh, POLL_MS);
  }

  async function act(button, method, path, then) {
    button.disabled = true;
    try {
      const answer = await api(method, path);
      state.actionError = '';
      if (then) {
        then(answer);
      }
    } catch (e) {
      state.actionError = e.status === 403 ? e.message + ' (this token is a viewer token)' : e.message;
      state.actionErrorAt = Date.now();
    } finally {
      button.disabled = false;
    }
    await refresh();
  }

  // ---- building the page

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) {
        continue;
      }
      if (key === 'class') {
        node.className = value;
      } else if (key === 'style') {
        Object.assign(node.style, value);
      } else if (key.startsWith('on')) {
        node.addEventListener(key.slice(2), value);
      } else {
        node.setAttribute(key, value === true ? '' : String(value));
      }
    }
    for (const child of children.flat(Infinity)) {
      if (child !== null && child !== undefined && child !== false) {
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
      }
    }
    return node;
  }

  function table(headings, rows, empty) {
    if (rows.length === 0) {
      return el('p', { class: 'muted' }, empty);
    }
    return el('table', {}, el('thead', {}, el('tr', {}, headings.map((h) => el('th', {}, h)))), el('tbody', {}, rows));
  }

  function badge(value) {
    return el('span', { class: 'state state-' + String(value || 'UNKNOWN').toLowerCase() }, value || 'UNKNOWN');
  }

  function render() {
    if (state.actionError && Date.now() - state.actionErrorAt > ACTION_ERROR_MS) {
      state.actionError = '';
    }
    document.getElementById('token-form').hidden = Boolean(state.token) && !state.pollError.includes('401');
    document.getElementById('forget-token').hidden = !state.token;
    const message = state.token ? [state.actionError, state.pollError].filter(Boolean).join(' · ')
      : 'No API token: paste one above.';
    document.getElementById('error').textContent = message;
    if (!state.data) {
      return;
    }
    const d = state.data;
    document.getElementById('refreshed').textContent = 'updated ' + time(new Date().toISOString());
    draw('jobs', d.jobs, () => jobs(d.jobs));
    draw('runs', [d.runs, state.selectedRun], () => runs(d.runs));
    draw('run-detail', d.selected, () => renderRun(d.selected));
    draw('forks', d.forks, () => forks(d.forks));
    draw('backups', d.backups, () => d.backups.map(backups));
  }

  // Redraws a part of the page only when what it shows changed, so that a click or a selection survives a poll.
  function draw(id, shown, build) {
    const key = JSON.stringify(shown);
    if (state.drawn[id] !== key) {
      state.drawn[id] = key;
      document.getElementById(id).replaceChildren(...[build()].flat());
    }
  }

  function jobs(list) {
    return table(['job', 'source → target', 'from', 'schedule', 'next fire', 'state', 'last run', ''],
      list.map((job) => {
        const schedule = job.schedule;
        const last = job.lastRun;
        const buttons = [el('button', {
          'data-action': 'launch',
          onclick: (e) => act(e.target, 'POST', '/jobs/' + enc(job.name) + '/runs',
            (answer) => { state.selectedRun = answer.run; }),
        }, 'Launch')];
        if (schedule) {
          const paused = schedule.state === 'PAUSED';
          buttons.push(el('button', {
            'data-action': paused ? 'resume' : 'pause',
            onclick: (e) => act(e.target, 'POST', '/schedules/' + enc(job.name) + (paused ? '/resume' : '/pause')),
          }, paused ? 'Resume' : 'Pause'));
        }
        return el('tr', { 'data-job': job.name },
          el('td', {}, el('strong', {}, job.name), job.description ? el('div', { class: 'muted' }, job.description) : null),
          el('td', {}, job.source, ' → ', job.target, job.region ? el('span', { class: 'muted' }, ' in ' + job.region) : null),
          el('td', {}, job.from),
          el('td', {}, schedule ? [el('code', {}, schedule.cron), ' ', el('span', { class: 'muted' }, schedule.zone)] : el('span', { class: 'muted' }, 'launched by hand')),
          el('td', {}, schedule && schedule.nextFires.length ? time(schedule.nextFires[0]) : '—'),
          el('td', {}, schedule ? badge(schedule.state) : '—'),
          el('td', {}, last ? [runLink(last.run), ' ', badge(last.state), ' ', el('span', { class: 'muted' }, time(last.startedAt))] : el('span', { class: 'muted' }, 'never run')),
          el('td', { class: 'actions' }, buttons));
      }), 'No jobs in jobs/.');
  }

  function runLink(id) {
    return el('a', { href: '#', onclick: (e) => { e.preventDefault(); select(id); } }, '#' + id);
  }

  function select(id) {
    state.selectedRun = id;
    refresh();
  }

  function runs(list) {
    return table(['run', 'job', 'trigger', 'state', 'started', 'took', 'fork', 'point in time'],
      list.map((run) => el('tr', {
        'data-run': run.run,
        'data-job': run.job,
        'data-state': run.state,
        class: 'clickable' + (run.run === state.selectedRun ? ' selected' : ''),
        onclick: () => select(run.run),
      },
      el('td', {}, '#' + run.run),
      el('td', {}, run.job),
      el('td', { class: 'muted', title: run.trigger }, (run.trigger || '').split(':')[0]),
      el('td', {}, badge(run.state)),
      el('td', {}, time(run.startedAt)),
      el('td', { class: 'nowrap' }, run.startedAt ? duration(ms(run.endedAt || new Date().toISOString()) - ms(run.startedAt)) : ''),
      el('td', {}, run.fork || ''),
      el('td', {}, time(run.pointInTime)))), 'No runs yet.');
  }

  function renderRun(run) {
    const detail = document.getElementById('run-detail');
    if (!run) {
      detail.removeAttribute('data-run');
      detail.removeAttribute('data-state');
      return el('p', { class: 'muted' }, 'Select a run.');
    }
    detail.setAttribute('data-run', run.run);
    detail.setAttribute('data-state', run.state);
    const buttons = [];
    if (run.state === 'STARTED' || run.state === 'STARTING') {
      buttons.push(el('button', { 'data-action': 'stop', onclick: (e) => act(e.target, 'POST', '/runs/' + run.run + '/stop') }, 'Stop'));
    }
    if (run.state === 'FAILED' || run.state === 'STOPPED') {
      buttons.push(el('button', { 'data-action': 'restart', onclick: (e) => act(e.target, 'POST', '/runs/' + run.run + '/restart') }, 'Restart'));
    }
    return [
      el('div', { class: 'run-head' }, el('strong', {}, 'Run #' + run.run + ' of ' + run.job), ' ', badge(run.state), ' ', buttons),
      el('dl', {},
        field('fork', run.fork), field('source', run.source), field('point in time', time(run.pointInTime)),
        field('backup', run.backup), field('executions', run.executions), field('trigger', run.trigger)),
      run.error ? el('p', { class: 'error-text' }, run.error) : null,
      ...(run.warnings || []).map((warning) => el('p', { class: 'warning-text' }, 'Warning: ' + warning)),
      timeline(run.steps)].filter(Boolean);
  }

  function field(name, value) {
    return value === null || value === undefined || value === '' ? null : [el('dt', {}, name), el('dd', {}, value)];
  }

  // The steps on one time axis: each bar starts and lasts as its step did; a running step's bar grows.
  function timeline(steps) {
    const timed = steps.filter((s) => s.startedAt);
    const start = Math.min(...timed.map((s) => ms(s.startedAt)));
    const end = Math.max(...timed.map((s) => ms(s.startedAt) + (s.durationMillis || 0)));
    const span = Math.max(end - start, 1);
    const byName = new Map(steps.map((s) => [s.name, s]));
    const ordered = STEPS.filter((n) => byName.has(n)).map((n) => byName.get(n))
      .concat(steps.filter((s) => !STEPS.includes(s.name)));
    return el('ol', { class: 'timeline' }, ordered.map((step) => {
      const bar = step.startedAt
        ? el('div', {
          class: 'bar state-' + step.state.toLowerCase(),
          style: {
            left: (100 * (ms(step.startedAt) - start) / span) + '%',
            width: (100 * (step.durationMillis || 0) / span) + '%',
          },
        })
        : null;
      const report = Object.entries(step.report || {});
      return el('li', { class: 'step', 'data-step': step.name, 'data-state': step.state },
        el('div', { class: 'step-name' }, step.name),
        badge(step.state),
        el('div', { class: 'track' }, bar),
        el('div', { class: 'step-took' }, step.durationMillis === null || step.durationMillis === undefined ? '' : duration(step.durationMillis)),
        el('div', { class: 'step-notes' },
          step.checkpoint ? el('span', { class: 'checkpoint' }, 'checkpoint ' + step.checkpoint) : null,
          step.progress ? el('span', { class: 'progress', title: step.progress }, progress(step.progress)) : null,
          step.error ? el('span', { class: 'error-text' }, step.error) : null,
          report.length ? el('details', {
            open: state.openReports.has(step.name),
            ontoggle: (e) => (e.target.open ? state.openReports.add(step.name) : state.openReports.delete(step.name)),
          }, el('summary', {}, 'report'),
            el('dl', {}, report.map(([k, v]) => field(k, v)))) : null));
    }));
  }

  function forks(list) {
    return table(['fork', 'job', 'source', 'point in time', 'listens', 'pools', 'region', 'age', 'time to live'],
      list.map((view) => {
        const f = view.fork;
        return el('tr', { 'data-fork': f.name },
          el('td', {}, el('strong', {}, f.name), el('div', { class: 'muted' }, f.engine + ' ' + f.version)),
          el('td', {}, f.job, ' ', runLink(f.runId)),
          el('td', {}, f.source),
          el('td', {}, time(f.pointInTime)),
          el('td', {}, el('code', {}, f.host + ':' + f.port),
            f.database ? el('div', { class: 'muted' }, 'database ' + f.database + ' in ' + f.server) : null),

          el('td', {}, f.poolPort ? el('code', {}, f.host + ':' + f.poolPort) : '—'),
          el('td', {}, f.region),
          el('td', {}, duration(view.ageSeconds * 1000)),
          el('td', {}, view.secondsToLive === null || view.secondsToLive === undefined ? 'kept by retention'
            : duration(view.secondsToLive * 1000)));
      }), 'No forks.');
  }

  // A service's backups, and its point-in-time window drawn over the last days with each backup marked.
  function backups(report) {
    const now = Date.now();
    const starts = report.backups.map((b) => ms(b.startedAt)).filter((t) => !Number.isNaN(t));
    const days = Math.max(1, Math.ceil((now - Math.min(now, ...starts)) / DAY_MS));
    const from = now - days * DAY_MS;
    const at = (t) => Math.min(100, Math.max(0, 100 * (t - from) / (now - from))) + '%';
    const pit = report.window;
    const bar = el('div', { class: 'window-bar', 'data-service': report.service },
      pit ? el('div', {
        class: 'window',
        title: 'can fork from ' + time(pit.from) + ' to ' + time(pit.to),
        style: { left: at(ms(pit.from)), width: 'calc(' + at(ms(pit.to)) + ' - ' + at(ms(pit.from)) + ')' },
      }) : null,
      report.backups.map((b) => el('div', {
        class: 'mark state-' + b.state.toLowerCase(),
        title: b.id + ' ' + b.state + ' ' + time(b.startedAt),
        style: { left: at(ms(b.startedAt)) },
      })));
    const archive = report.archive;
    return el('div', { class: 'service', 'data-service': report.service },
      el('h3', {}, report.service, ' ', el('span', { class: 'muted' }, 'wal: ' + report.wal)),
      el('p', {}, pit
        ? ['point-in-time window ', el('strong', {}, time(pit.from)), ' to ', el('strong', {}, time(pit.to)),
          ' (' + duration(ms(pit.to) - ms(pit.from)) + ')']
        : el('span', { class: 'error-text' }, 'no verified backup: this service cannot be forked')),
      bar,
      el('div', { class: 'axis muted' }, el('span', {}, time(new Date(from).toISOString())),
        el('span', {}, 'last ' + days + (days === 1 ? ' day' : ' days')), el('span', {}, 'now')),
      archive ? el('p', { class: 'muted' },
        'archive: ' + archive.segments + ' segments, ' + bytes(archive.sizeBytes)
        + (archive.newestCommit ? ', newest commit ' + time(archive.newestCommit) : '')
        + (archive.archiver ? ', archiver ' + archive.archiver.state + (archive.archiver.lagBytes !== null ? ' (lag ' + bytes(archive.archiver.lagBytes) + ')' : '') : '')
        + (archive.gaps && archive.gaps.length ? ', gaps: ' + archive.gaps.join(' ') : '')) : null,
      table(['backup', 'state', 'started', 'ended', 'size', 'timeline'],
        report.backups.map((b) => el('tr', { 'data-backup': b.id },
          el('td', {}, el('code', {}, b.id)), el('td', {}, badge(b.state)), el('td', {}, time(b.startedAt)),
          el('td', {}, time(b.endedAt)), el('td', {}, b.sizeBytes === null ? '' : bytes(b.sizeBytes)),
          el('td', {}, b.timeline === null ? '' : b.timeline))), 'No backups.'));
  }

  // ---- formats

  function ms(instant) {
    return typeof instant === 'number' ? instant * 1000 : Date.parse(instant);
  }

  function time(instant) {
    if (instant === null || instant === undefined) {
      return '';
    }
    const d = new Date(ms(instant));
    const two = (n) => String(n).padStart(2, '0');
    return d.getFullYear() + '-' + two(d.getMonth() + 1) + '-' + two(d.getDate()) + ' '
      + two(d.getHours()) + ':' + two(d.getMinutes()) + ':' + two(d.getSeconds());
  }

  function duration(millis) {
    if (millis < 10000 && millis % 1000 === 0) {
      return Math.max(0, millis / 1000) + ' s';
    }
    if (millis < 10000) {
      return (Math.max(0, millis) / 1000).toFixed(1) + ' s';
    }
    const s = Math.round(millis / 1000);
    const parts = [[Math.floor(s / 86400), 'd'], [Math.floor(s / 3600) % 24, 'h'], [Math.floor(s / 60) % 60, 'm'], [s % 60, 's']];
    const first = parts.findIndex(([n]) => n > 0);
    return parts.slice(first, first + 2).map(([n, unit]) => n + unit).join(' ');
  }

  // "bytes laid down: 8430757 of 47741650" reads "bytes laid down: 8.4 MB of 47.7 MB (18%)"
  function progress(text) {
    const m = /^(.*): (\d+) of (\d+)$/.exec(text);
    if (!m) {
      return text;
    }
    const [done, total] = [Number(m[2]), Number(m[3])];
    const amount = m[1].startsWith('bytes') ? (n) => bytes(n) : (n) => String(n);
    return m[1] + ': ' + amount(done) + ' of ' + amount(total) + (total > 0 ? ' (' + Math.floor(100 * done / total) + '%)' : '');
  }

  function bytes(n) {
    const units = ['B', 'kB', 'MB', 'GB', 'TB'];
    let i = 0;
    let v = n;
    while (v >= 1000 && i < units.length - 1) {
      v /= 1000;
      i++;
    }
    return (i === 0 ? v : v.toFixed(1)) + ' ' + units[i];
  }

  // ---- the token

  // A token given once as #token=... is kept, and taken out of the address bar.
  function takeTokenFromFragment() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.has('token')) {
      localStorage.setItem(TOKEN_KEY, fragment.get('token'));
      history.replaceState(null, '', location.pathname + location.search);
    }
    state.token = localStorage.getItem(TOKEN_KEY);
  }

  function start() {
    takeTokenFromFragment();
    window.addEventListener('hashchange', () => {
      takeTokenFromFragment();
      refresh();
    });
    document.getElementById('token-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const input = document.getElementById('token-input');
      const token = input.value.trim();
      if (token) {
        localStorage.setItem(TOKEN_KEY, token);
        state.token = token;
        input.value = '';
        refresh();
      }
    });
    document.getElementById('forget-token').addEventListener('click', () => {
      localStorage.removeItem(TOKEN_KEY);
      state.token = null;
      state.data = null;
      state.drawn = {};
      for (const id of ['jobs', 'runs', 'forks', 'backups']) {
        document.getElementById(id).replaceChildren();
      }
      document.getElementById('run-detail').replaceChildren(renderRun(null));
      render();
    });
    refresh();
  }

  start();
})();
