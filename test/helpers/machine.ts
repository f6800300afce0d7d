import { execa } from 'execa';
import { readdirSync } from 'node:fs';

// What a run may leave behind, read from the machine itself. Tests compare a
// snapshot before and after every run.

export interface MachineState {
  netns: string[];
  links: string[];
  processes: string[];
  iptables: string[];
  nftTables: string[];
  ledgers: string[];
}

async function lines(argv: string[]): Promise<string[]> {
  const r = await execa(argv[0]!, argv.slice(1), { reject: false });
  return String(r.stdout ?? '')
    .split('\n')
    .filter(Boolean);
}

export async function machineState(): Promise<MachineState> {
  const procs = await lines(['ps', '-eo', 'args']);
  let ledgers: string[] = [];
  try {
    ledgers = readdirSync('/run/failover-harness').filter((f) => f.endsWith('.jsonl'));
  } catch {
    ledgers = [];
  }
  return {
    netns: (await lines(['ip', 'netns', 'list'])).filter((l) => l.startsWith('fh-')),
    links: (await lines(['ip', '-o', 'link'])).map((l) => l.split(':')[1]!.trim().split('@')[0]!).filter((n) => n.startsWith('fh')),
    processes: procs.filter((p) => /echo-server\.ts|traffic\/driver\.ts|logs\/driver\.mjs|envoy |^etcd /.test(p)),
    iptables: (await lines(['iptables', '-S', 'FORWARD'])).filter((l) => l.includes('failover-harness')),
    nftTables: (await lines(['nft', 'list', 'tables'])).filter((l) => /failover|fh_/.test(l)),
    ledgers,
  };
}

export const CLEAN: MachineState = { netns: [], links: [], processes: [], iptables: [], nftTables: [], ledgers: [] };
