// The console's shell: sign-in, the hash router and error display. Views live in their own modules; each gets
// the <main> to fill and the session (name, role, permissions) so it can leave out what the role may not do.
import { forgetKey, signIn, storedKey } from './api.js';
import { h, showError } from './dom.js';
import { overview } from './overview.js';
import { deviceList } from './devices.js';
import { cveView } from './cve.js';
import { deviceView } from './device.js';
import { rolloutView } from './rollout.js';
import { auditView } from './audit-log.js';

const $ = (id) => document.getElementById(id);
let session = null;

/** Routes are hash fragments (#/overview, #/devices?path=lcu, #/cve/CVE-…, #/rollout/KB…, #/audit?actor=…, #/device/ws-1): never a key. */
const ROUTES = [
  [/^#\/devices(?:\?(.*))?$/, (main, m) => deviceList(main, new URLSearchParams(m[1] ?? ''))],
  [/^#\/cve(?:\/([^?]*))?$/, (main, m) => cveView(main, decodeURIComponent(m[1] ?? ''))],
  [/^#\/rollout(?:\/([^?]*))?$/, (main, m) => rolloutView(main, decodeURIComponent(m[1] ?? ''))],
  [/^#\/audit(?:\?(.*))?$/, (main, m) => auditView(main, new URLSearchParams(m[1] ?? ''))],
  [/^#\/device\/(.+)$/, (main, m) => deviceView(main, decodeURIComponent(m[1]), session)],
  [/^.*$/, (main) => overview(main)],
];

async function render() {
  const main = $('view');
  $('error').hidden = true;
  if (!session) return;
  main.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  const [pattern, view] = ROUTES.find(([pattern]) => pattern.test(location.hash));
  try {
    const content = h('div', { class: 'view' });
    await view(content, location.hash.match(pattern));
    main.replaceChildren(content);
    main.focus();
  } catch (error) {
    main.replaceChildren();
    showError(error);
  }
}

function signedIn(value) {
  session = value;
  $('sign-in').hidden = true;
  $('nav').hidden = false;
  $('who').textContent = `${value.name} (${value.role})`;
  document.body.dataset.role = value.role;
  return render();
}

function signedOut() {
  session = null;
  forgetKey();
  $('nav').hidden = true;
  $('view').replaceChildren();
  $('sign-in').hidden = false;
  $('api-key').focus();
}

$('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $('api-key');
  const key = input.value.trim();
  input.value = '';
  $('error').hidden = true;
  signIn(key).then(signedIn, showError);
});
$('sign-out').addEventListener('click', signedOut);
window.addEventListener('hashchange', () => void render());

// A reload in the same tab keeps the session; a refused stored key (revoked meanwhile) asks again.
const key = storedKey();
if (key) {
  signIn(key).then(signedIn, (error) => {
    signedOut();
    showError(error);
  });
} else signedOut();
