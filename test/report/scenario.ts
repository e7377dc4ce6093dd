// A scripted run on three hosts, the way the engine would emit it: hosts interleave.
// cp1 ends well (a changed and a skipped task), cp2 fails with 30 lines of stderr, cp3 is unreachable.
import { Writable } from 'node:stream';
import type { Recap, RunEvent } from '../../src/report/events.js';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');
/** An ISO time `ms` after the scenario's start. */
export const at = (ms: number): string => new Date(T0 + ms).toISOString();

/** The UTF-8 message cp2's failing task ends with. */
export const FAIL_MESSAGE = 'Knoten ließ sich nicht räumen: «etcd-0» läuft noch ✗';
/** cp2's stderr: 30 numbered lines, the last one in UTF-8. */
export const STDERR_30 = Array.from({ length: 30 }, (_, i) =>
  i === 29 ? 'Fehler: Pod «etcd-0» lässt sich nicht räumen ✗' : `evicting pod ${String(i + 1).padStart(2, '0')}`,
).join('\n');
/** What cp1's first task printed; only verbose output shows it. */
export const OK_STDOUT = 'kubelet is active (running) since 09:58';
export const UNREACHABLE = 'ssh: connect to host 10.0.0.3 port 22: Connection refused';

const r = (ok: number, changed: number, failed: number, skipped: number, unreachable: number): Recap => ({
  ok,
  changed,
  failed,
  skipped,
  unreachable,
});

/** The events of the scripted run, in the order the engine emits them. */
export function scenario(): RunEvent[] {
  const recap = { cp1: r(1, 1, 0, 1, 0), cp2: r(1, 0, 1, 0, 0), cp3: r(0, 0, 0, 0, 1) };
  const base = (host: string, taskId: string, name: string) => ({ host, taskId, name, kind: 'command' });
  return [
    { type: 'run_start', time: at(0), runId: 'run-42', playbook: 'restart-kubelet', file: 'playbooks/restart.yaml', hosts: ['cp1', 'cp2', 'cp3'] },
    { type: 'host_start', time: at(10), host: 'cp1', address: '10.0.0.1' },
    { type: 'host_start', time: at(11), host: 'cp2', address: '10.0.0.2' },
    { type: 'host_start', time: at(12), host: 'cp3', address: '10.0.0.3' },
    { type: 'task_start', time: at(100), ...base('cp1', '1', 'Check kubelet'), preview: ['systemctl is-active kubelet'] },
    { type: 'task_start', time: at(101), ...base('cp2', '1', 'Check kubelet'), preview: ['systemctl is-active kubelet'] },
    { type: 'task_end', time: at(400), ...base('cp1', '1', 'Check kubelet'), status: 'ok', rc: 0, stdout: `${OK_STDOUT}\n`, stderr: '', attempts: 1, durationMs: 300 },
    { type: 'host_end', time: at(3000), host: 'cp3', status: 'unreachable', recap: recap.cp3, message: UNREACHABLE, hint: 'Check that sshd runs on 10.0.0.3 and that port 22 is open.' },
    { type: 'task_end', time: at(420), ...base('cp2', '1', 'Check kubelet'), status: 'ok', rc: 0, stdout: `${OK_STDOUT}\n`, attempts: 1, durationMs: 319 },
    { type: 'task_start', time: at(500), ...base('cp1', '2', 'Stop the static pod'), preview: ['mv /etc/kubernetes/manifests/kube-apiserver.yaml /root/'] },
    { type: 'task_start', time: at(510), ...base('cp2', '2', 'Drain the node'), preview: ['kubectl drain cp2 --ignore-daemonsets'] },
    { type: 'task_progress', time: at(600), host: 'cp1', taskId: '2', message: 'waiting for the pod to stop (1 of 3)' },
    { type: 'task_progress', time: at(1100), host: 'cp1', taskId: '2', message: 'waiting for the pod to stop (2 of 3)' },
    { type: 'task_progress', time: at(2600), host: 'cp1', taskId: '2', message: 'waiting for the pod to stop (3 of 3)' },
    { type: 'task_end', time: at(1700), ...base('cp1', '2', 'Stop the static pod'), status: 'changed', rc: 0, stdout: '', stderr: '', attempts: 1, durationMs: 1200 },
    { type: 'task_end', time: at(3910), ...base('cp2', '2', 'Drain the node'), status: 'failed', message: FAIL_MESSAGE, rc: 1, stdout: 'node/cp2 cordoned\n', stderr: `${STDERR_30}\n`, attempts: 1, durationMs: 3400 },
    { type: 'host_end', time: at(3920), host: 'cp2', status: 'failed', recap: recap.cp2 },
    { type: 'task_start', time: at(1800), ...base('cp1', '3', 'Restore the backup'), preview: [] },
    { type: 'task_end', time: at(1801), ...base('cp1', '3', 'Restore the backup'), status: 'skipped', message: 'no backup to restore', attempts: 0, durationMs: 0 },
    { type: 'host_end', time: at(1810), host: 'cp1', status: 'ok', recap: recap.cp1 },
    { type: 'run_end', time: at(5400), runId: 'run-42', exitCode: 2, durationMs: 5400, recap },
  ];
}

/** A stream that keeps what is written to it; `tty` makes it look like a 100-column terminal. */
export class Capture extends Writable {
  text = '';
  isTTY: boolean;
  columns = 100;
  rows = 40;

  constructor(tty = false) {
    super({ decodeStrings: false });
    this.isTTY = tty;
  }

  override _write(chunk: string | Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}
