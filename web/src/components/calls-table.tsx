// A table of calls with who they were with (contact and client by name beside the number), the manager
// by name, their outcome, durations, wrap-up and recording (played in the page with seeking over HTTP
// Range, and downloadable). Used by the calls page, the contact card and the report's drill-down.
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { isSupervisor, useUser } from '../app.js';
import { WrapupForm } from './wrapup-form.js';
import { language, t, tKey } from '../i18n.js';
import { dateTime, dispositionText, duration, phoneText } from '../format.js';
import type { Call, Outcome, User } from '../types.js';
import { pbxName, severalPbxs, usePbxes } from '../pbxes.js';

let outcomesPromise: Promise<Outcome[]> | null = null;
/** The configured wrap-up outcomes (GET /api/v1/wrapup/outcomes), fetched once per page load. */
export function outcomes(): Promise<Outcome[]> {
  outcomesPromise ??= api.get<Outcome[] | { items: Outcome[] }>('/api/v1/wrapup/outcomes')
    .then((r) => (Array.isArray(r) ? r : r.items))
    .catch((e: unknown) => {
      outcomesPromise = null;
      throw e;
    });
  return outcomesPromise;
}

export function useOutcomes(): Outcome[] {
  const [list, setList] = useState<Outcome[]>([]);
  useEffect(() => {
    outcomes().then(setList).catch(() => setList([]));
  }, []);
  return list;
}

export function outcomeLabel(list: Outcome[], id: string): string {
  const o = list.find((x) => x.id === id);
  return o ? o.label[language()] : id;
}

function RecordingCell({ call, preload }: { call: Call; preload: 'none' | 'metadata' }) {
  if (!call.recording) return <span class="muted">{t('noRecording')}</span>;
  return (
    <div class="recording">
      <audio data-testid="recording-player" controls preload={preload} src={call.recording.url} />
      <a data-testid="recording-download" href={call.recording.url} download={`${call.startedAt.slice(0, 19).replace(/:/g, '-')}_${call.externalNumber ?? call.id}.wav`}>
        {t('download')}
      </a>
    </div>
  );
}

/**
 * Who the call was with: the contact (a link to the card) and the client by name above the number; a
 * number nobody has says so; a client the user may not see (another manager's) is said to be one.
 */
function PartyCell({ call: c, link }: { call: Call; link: boolean }) {
  const number = phoneText(c.externalNumber);
  let who;
  if (c.contact) {
    who = (
      <>
        {link ? <a data-testid="call-contact" href={`#/contacts/${c.contact.id}`}>{c.contact.name}</a> : <span data-testid="call-contact">{c.contact.name}</span>}
        {c.client && c.client.name !== c.contact.name && <div class="muted" data-testid="call-client">{c.client.name}</div>}
      </>
    );
  } else if (c.client) {
    who = <span data-testid="call-client">{c.client.name}</span>;
  } else if (c.contactId || c.clientId) {
    who = <span class="muted" data-testid="call-party-hidden">{t('callsOthersClient')}</span>;
  } else if (c.externalNumber) {
    who = <span class="muted" data-testid="call-no-contact">{t('callsNotInContacts')}</span>;
  }
  return (
    <td class="party">
      {who && <div class="party-name">{who}</div>}
      <div class="number" data-testid="call-number">{number}</div>
    </td>
  );
}

/** The person the call is credited to, with their extension; the extension alone when nobody was on it. */
function managerText(c: Call): string {
  if (c.manager) return c.extension ? `${c.manager.name} (${c.extension})` : c.manager.name;
  return c.extension ?? t('none');
}

/** Who may write a call's wrap-up: the manager who answered it, supervisors and admins (as the API has it). */
function mayWrapUp(user: User, c: Call): boolean {
  if (c.state !== 'ended' || c.disposition !== 'answered') return false;
  if (isSupervisor(user)) return true;
  return (c.managerId === user.id && c.answeredAt !== null) || (c.legs ?? []).some((l) => l.managerId === user.id && l.answeredAt !== null);
}

export function CallsTable({ calls, showExtension = true, contactLinks = true }: { calls: Call[]; showExtension?: boolean; contactLinks?: boolean }) {
  const outcomeList = useOutcomes();
  const user = useUser();
  // Several PBXs: each call says which one it was on (extension 101 is two phones then).
  const pbxList = usePbxes();
  const showPbx = severalPbxs(pbxList);
  // The call whose wrap-up is being written or edited here, in a row of its own under the call.
  const [editing, setEditing] = useState<string | null>(null);
  const columns = showExtension ? 9 : 8;
  if (calls.length === 0) return <p class="muted" data-testid="calls-table">{t('noCalls')}</p>;
  return (
    <div class="overflow-auto">
      <table data-testid="calls-table" class="striped calls">
        <thead>
          <tr>
            <th>{t('when')}</th>
            <th>{t('direction')}</th>
            <th>{t('callsParty')}</th>
            {showExtension && <th>{t('callsManager')}</th>}
            <th>{t('disposition')}</th>
            <th>{t('ring')}</th>
            <th>{t('talk')}</th>
            <th>{t('wrapupLabel')}</th>
            <th>{t('recording')}</th>
          </tr>
        </thead>
        <tbody>
          {calls.map((c) => (
            <Fragment key={c.id}>
            <tr data-testid="call-row" data-call-id={c.id} data-linked-id={c.linkedId}>
              <td>{dateTime(c.startedAt)}</td>
              <td>
                {tKey('direction_', c.direction)}
                {c.origin === 'click2call' && <small class="muted"> ({t('clickToCall')})</small>}
                {showPbx && !showExtension && c.pbx && <div><small class="muted call-pbx" data-testid="call-pbx" data-pbx={c.pbx}>{pbxName(pbxList, c.pbx)}</small></div>}
              </td>
              <PartyCell call={c} link={contactLinks} />
              {showExtension && (
                <td class="manager" data-testid="call-manager">
                  {managerText(c)}
                  {showPbx && c.pbx && <div><small class="muted call-pbx" data-testid="call-pbx" data-pbx={c.pbx}>{pbxName(pbxList, c.pbx)}</small></div>}
                </td>
              )}
              <td class={`disp disp-${c.state === 'live' ? 'live' : c.disposition ?? ''}`}>
                {dispositionText(c.disposition, c.state)}
                {c.queue && (
                  <div class="call-queue" data-testid="call-queue" data-queue={c.queue}>
                    <small>{t('callQueueLine', {
                      queue: c.queue, wait: duration(c.queueWaitSeconds),
                      result: c.queueOutcome ? tKey('queueResult_', c.queueOutcome) : t('none'),
                    })}</small>
                  </div>
                )}
              </td>
              <td>{duration(c.ringSeconds)}</td>
              <td>{duration(c.talkSeconds)}</td>
              <td data-testid="call-wrapup">
                {c.wrapup ? (
                  <>
                    <strong>{outcomeLabel(outcomeList, c.wrapup.outcome)}</strong>
                    {c.wrapup.description && <div><small>{c.wrapup.description}</small></div>}
                  </>
                ) : !mayWrapUp(user, c) && t('none')}
                {mayWrapUp(user, c) && editing !== c.id && (
                  <button type="button" class="link-button" data-testid={c.wrapup ? 'wrapup-edit' : 'wrapup-write'} onClick={() => setEditing(c.id)}>
                    {c.wrapup ? t('editOutcome') : t('writeOutcome')}
                  </button>
                )}
              </td>
              <td><RecordingCell call={c} preload={calls.length > 10 ? 'none' : 'metadata'} /></td>
            </tr>
            {editing === c.id && (
              <tr class="wrapup-row">
                <td colSpan={columns}>
                  <WrapupForm callId={c.id} initial={c.wrapup} laterLabel={t('cancel')} onSaved={() => setEditing(null)} onLater={() => setEditing(null)} />
                </td>
              </tr>
            )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}
