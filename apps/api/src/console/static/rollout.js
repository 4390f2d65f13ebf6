// A release's rollout: GET /v1/patches/{id}/rollout as bars (who runs it in memory, who committed it to disk,
// who waits, failed, reverted) and the refusals by reason. The API offers this one as JSON only, so there is no
// download here: a CSV the console made up would be a second, unchecked rendering of the same figures.
import { api } from './api.js';
import { bars } from './charts.js';
import { h, lookupForm, table } from './dom.js';

const ROWS = [
  ['appliedInMemory', 'Applied, in memory'],
  ['committedOnDisk', 'Committed to disk'],
  ['pendingCommit', 'Waiting to commit'],
  ['failed', 'Failed'],
  ['reverted', 'Reverted'],
];
const CARRIED = [
  ['concerned', 'Devices it is for'],
  ['carriedInMemory', 'Carry it in memory'],
  ['carriedOnDisk', 'Carry it on disk'],
];

export async function rolloutView(main, patchId) {
  const form = lookupForm({ id: 'rollout-form', label: 'Release', inputId: 'patch-id', value: patchId, placeholder: 'KB5120994', pattern: 'KB\\d+', button: 'Show rollout', route: '#/rollout' });
  main.append(h('h2', {}, 'Rollout of a release'), form);
  if (!patchId) return;
  const rollout = await api(`/v1/patches/${encodeURIComponent(patchId)}/rollout`);
  const item = ([key, label]) => ({ key, label, value: rollout[key] });
  const refused = Object.entries(rollout.rejected ?? {});
  main.append(
    h(
      'div',
      { class: 'grid' },
      bars(`${rollout.patchId}: applied by the service`, ROWS.map(item), { id: 'chart-rollout' }),
      bars(`${rollout.patchId}: carried through the catalog`, CARRIED.map(item), { id: 'chart-carried' }),
    ),
    refused.length
      ? table('Refused, by reason', ['Reason', 'Devices'], refused, { id: 'rollout-refused' })
      : h('p', { id: 'rollout-refused' }, 'No device refused it.'),
  );
}
