/**
 * Resumable training: a long run killed part-way (Ctrl-C, SIGTERM, a closed laptop, power loss)
 * continues from its last checkpoint when it is started again, and ends with the same weights as a
 * run that was never interrupted.
 *
 * trainLoop (lib/training/train.ts) writes a resume checkpoint to out/resume/<model>.safetensors
 * every
 * `everySeconds` (default 60, GENLAB_CHECKPOINT_SECONDS overrides; 0 = at every history row): the
 * weights, every optimiser's state (moments, step count), every random generator and batch stream
 * the step function draws from, and the history so far, written atomically like every checkpoint.
 * fitOrLoad (lib/training/weights.ts) deletes it once the finished weights are saved. On a new
 * start with the same model, seed, budget, mode and code, the loop loads it and goes on from its
 * step; a checkpoint of another run (other seed, budget or code) is set aside with a message.
 *
 * Every model fitOrLoad trains is resumable: the GANs and WGANs (trainGAN), the VAEs, the flows,
 * MADE, the VAE-GAN, the evaluation classifier (three phases, resumePhases) and the toys of
 * lib/models/toys.ts; test/resume.test.ts kills one of each and checks the restart bit for bit.
 * It holds in any process: the checkpoint names optimiser state after the params' keys, not after
 * tfjs's variable names, which count the variables made before (other models, earlier cells).
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import {
  assignChecked,
  checkpointInfo,
  checkpointMeta,
  entryTensor,
  readCheckpoint,
  saveCheckpoint,
} from "../storage/checkpoint";
import { outDir } from "../runtime/env";
import { removeRecorded } from "../storage/integrity";
import { type Stateful } from "../runtime/random";

/** Where and for which run: given by fitOrLoad to the training function, passed on to trainLoop. */
export interface ResumeTarget {
  file: string;
  /** model, seed, budget, mode, code version: a checkpoint with other values is not resumed. */
  identity: Record<string, unknown>;
}

/** What trainLoop needs besides the target: everything whose state the step function changes. */
export interface ResumeSpec extends ResumeTarget {
  optimizers: Record<string, tf.Optimizer>;
  state?: Record<string, Stateful>;
  everySeconds?: number;
}

export function resumeFile(model: string): string {
  return outDir("resume", `${model}.safetensors`);
}

/** The checkpoint of phase p of a run in phases (resumePhases): <stem>.phase<p>.safetensors */
function phaseFile(target: ResumeTarget, p: number): string {
  return target.file.replace(/(\.safetensors)?$/, `.phase${p}.safetensors`);
}

/**
 * The resume targets of a run made of several training loops one after another (phases, e.g. one
 * per learning rate with optimisers of its own): phase p keeps its checkpoint beside target.file
 * (phaseFile), with `phase: p` added to the identity. `start` is the last phase that has a
 * checkpoint of this run (0 when none): the phases before it are done, and what they left (the
 * weights, and the history and generators when that phase's state holds them) comes back from its
 * checkpoint. fitOrLoad deletes them all once the weights are saved (clearResume).
 */
export function resumePhases(
  target: ResumeTarget,
  phases: number,
): { start: number; phase: (p: number) => ResumeTarget } {
  const phase = (p: number): ResumeTarget => ({
    file: phaseFile(target, p),
    identity: { ...target.identity, phase: p },
  });
  let start = phases - 1;
  for (; start > 0; start--) {
    const t = phase(start);
    if (!fs.existsSync(t.file)) continue;
    const notes = checkpointInfo(t.file).meta.notes ?? "{}";
    if (same((JSON.parse(notes) as Saved).identity, t.identity)) break;
  }
  return { start, phase };
}

/** Deletes the resume checkpoints of a target, its phases' too (a finished run needs none). */
export function clearResume(target: ResumeTarget): void {
  removeRecorded(target.file);
  const dir = path.dirname(target.file);
  const stem = path.basename(target.file).replace(/\.safetensors$/, "");
  const isPhase = (f: string) =>
    f.startsWith(stem) && /^\.phase\d+\.safetensors$/.test(f.slice(stem.length));
  if (!fs.existsSync(dir)) return;
  for (const f of fs.readdirSync(dir).filter(isPhase)) removeRecorded(path.join(dir, f));
}

export function checkpointSeconds(spec: ResumeSpec): number {
  const env = process.env.GENLAB_CHECKPOINT_SECONDS;
  if (env !== undefined && env.trim() !== "") {
    const v = Number(env);
    if (!(v >= 0))
      throw new Error(
        `GENLAB_CHECKPOINT_SECONDS=${JSON.stringify(env)}: use a number of seconds >= 0`,
      );
    return v;
  }
  return spec.everySeconds ?? 60;
}

interface Saved {
  identity: Record<string, unknown>;
  step: number;
  history: unknown;
  learningRates: Record<string, number>;
  /**
   * Each optimiser's weight names in getWeights order (tfjs's RMSProp reads them by position), by
   * the params' keys (savedName).
   */
  optimizerWeights: Record<string, string[]>;
  state: Record<string, unknown>;
}

/**
 * An optimiser names its state after the variables' tfjs names ("12/m", "12/rms"), which count the
 * variables the process made before (another model trained first, earlier notebook cells); the
 * checkpoint names it after the params' keys ("vae.enc.0.w/m"). Names without a variable ("iter")
 * stay as they are. `toSaved` is null for the state of a variable that is not among the params.
 */
function optimizerNames(params: Record<string, tf.Variable>) {
  const rename = (pairs: [string, string][]) => {
    const to = new Map(pairs);
    return (w: string): string | null => {
      const cut = w.lastIndexOf("/");
      if (cut < 0) return w;
      const v = to.get(w.slice(0, cut));
      return v === undefined ? null : v + w.slice(cut);
    };
  };
  const keys = Object.entries(params);
  return {
    toSaved: rename(keys.map(([k, v]) => [v.name, k])),
    fromSaved: rename(keys.map(([k, v]) => [k, v.name])),
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Saves the resume checkpoint after `step` steps (atomic: a kill leaves the previous one whole).
 */
export async function saveResume(
  spec: ResumeSpec,
  step: number,
  params: Record<string, tf.Variable>,
  /** The history so far (a History; any JSON-able value is stored as its JSON). */
  history: unknown,
): Promise<void> {
  const tensors: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(params)) tensors[`param:${k}`] = v;
  const owned: tf.Tensor[] = [];
  const learningRates: Record<string, number> = {};
  const optimizerWeights: Record<string, string[]> = {};
  const { toSaved } = optimizerNames(params);
  try {
    for (const [name, opt] of Object.entries(spec.optimizers)) {
      const ws = await opt.getWeights();
      // genlab's Adam hands out copies; tfjs's optimisers (RMSProp) their own live variables.
      owned.push(...ws.map((w) => w.tensor).filter((t) => !(t instanceof tf.Variable)));
      const stray = ws.filter((w) => toSaved(w.name) === null).map((w) => w.name);
      if (stray.length) {
        const why = `optimiser ${name} holds state of variables not among the params: ${stray}`;
        throw new Error(`resume checkpoint ${spec.file}: ${why}; this run cannot resume`);
      }
      optimizerWeights[name] = ws.map((w) => toSaved(w.name)!);
      ws.forEach((w, i) => (tensors[`opt:${name}:${optimizerWeights[name][i]}`] = w.tensor));
      learningRates[name] = (opt as unknown as { learningRate: number }).learningRate;
    }
    const state: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(spec.state ?? {})) state[k] = s.getState();
    const { identity } = spec;
    const rows = JSON.parse(JSON.stringify(history));
    const json: Saved = { identity, step, history: rows, learningRates, optimizerWeights, state };
    const meta = checkpointMeta({ model: String(identity.model ?? "resume"), seed: 0, budget: {} });
    saveCheckpoint(spec.file, tensors, { ...meta, notes: JSON.stringify(json) });
  } finally {
    tf.dispose(owned);
  }
}

/**
 * Loads the resume checkpoint into the params, optimisers and state if there is one for this run;
 * returns the step to go on from and the history rows so far (History.fromJSON reads them; this
 * file does not import lib/training/train.ts, which imports it), or null to start from step 0.
 */
export async function loadResume(
  spec: ResumeSpec,
  params: Record<string, tf.Variable>,
): Promise<{ step: number; history: unknown } | null> {
  if (!fs.existsSync(spec.file)) return null;
  // a damaged file is an error naming it (lib/storage/integrity.ts)
  const ck = readCheckpoint(spec.file);
  const json = JSON.parse(ck.meta.notes ?? "{}") as Saved;
  if (!same(json.identity, spec.identity)) {
    const aside = `${spec.file}.other-run`;
    fs.renameSync(spec.file, aside);
    console.log(
      `resume: ${spec.file} is from another run (${JSON.stringify(json.identity)}); ` +
        `moved to ${aside}, starting from step 0`,
    );
    return null;
  }
  const fix = `delete ${spec.file} to start from step 0`;
  assignChecked(spec.file, ck, params, { prefix: "param:", hint: fix });
  const { fromSaved } = optimizerNames(params);
  for (const [name, opt] of Object.entries(spec.optimizers)) {
    const key = (w: string) => `opt:${name}:${w}`;
    const saved = json.optimizerWeights?.[name];
    const lost = saved ? saved.filter((w) => !ck.entries[key(w)]) : ["its list of state tensors"];
    const stray = (saved ?? []).filter((w) => fromSaved(w) === null);
    if (lost.length + stray.length) {
      const why = lost.length
        ? `optimiser ${name} lacks ${lost.join(", ")}`
        : `optimiser ${name} has state of variables the model lacks: ${stray.join(", ")}`;
      throw new Error(`resume checkpoint ${spec.file}: ${why}; ${fix}`);
    }
    const tensor = (w: string) => entryTensor(ck.entries[key(w)]);
    const ws = saved!.map((w) => ({ name: fromSaved(w)!, tensor: tensor(w) }));
    await opt.setWeights(ws);
    tf.dispose(ws.map((w) => w.tensor));
    (opt as unknown as { learningRate: number }).learningRate = json.learningRates[name];
  }
  for (const [k, s] of Object.entries(spec.state ?? {})) s.setState(json.state[k]);
  console.log(`resume: going on from step ${json.step} (${spec.file})`);
  return { step: json.step, history: json.history };
}

/**
 * The ResumeSpec of a training function: its optimisers and stateful parts, plus `maybe` parts
 * (a data sampler) that may lack a state. When one does, the run cannot resume exactly: it says
 * so and returns undefined (the run trains as before, without resume checkpoints).
 */
export function resumeSpec(
  target: ResumeTarget,
  optimizers: Record<string, tf.Optimizer>,
  state: Record<string, Stateful>,
  maybe: Record<string, Partial<Stateful>> = {},
): ResumeSpec | undefined {
  const all: Record<string, Stateful> = { ...state };
  for (const [k, s] of Object.entries(maybe)) {
    if (!s.getState || !s.setState) {
      console.log(
        `resume: ${target.identity.model}: its ${k} has no saved state; this run cannot resume`,
      );
      return undefined;
    }
    all[k] = s as Stateful;
  }
  return { ...target, optimizers, state: all };
}
