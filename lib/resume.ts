/**
 * Resumable training: a long run killed part-way (Ctrl-C, SIGTERM, a closed laptop, power loss)
 * continues from its last checkpoint when it is started again, and ends with the same weights as a
 * run that was never interrupted.
 *
 * trainLoop (lib/train.ts) writes a resume checkpoint to out/resume/<model>.safetensors every
 * `everySeconds` (default 60, GENLAB_CHECKPOINT_SECONDS overrides; 0 = at every history row): the
 * weights, every optimiser's state (moments, step count), every random generator and batch stream
 * the step function draws from, and the history so far, written atomically like every checkpoint.
 * fitOrLoad (lib/weights.ts) deletes it once the finished weights are saved. On a new start with
 * the same model, seed, budget, mode and code, the loop loads it and goes on from its step; a
 * checkpoint of another run (other seed, budget or code) is set aside with a message.
 */
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import {
  assignChecked,
  checkpointMeta,
  entryTensor,
  readCheckpoint,
  saveCheckpoint,
} from "./checkpoint";
import { outDir } from "./env";
import { type Stateful } from "./random";

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

export function checkpointSeconds(spec: ResumeSpec): number {
  const env = process.env.GENLAB_CHECKPOINT_SECONDS;
  if (env !== undefined && env.trim() !== "") {
    const v = Number(env);
    if (!(v >= 0)) throw new Error(`GENLAB_CHECKPOINT_SECONDS=${JSON.stringify(env)}: use a number of seconds >= 0`);
    return v;
  }
  return spec.everySeconds ?? 60;
}

interface SavedJson {
  identity: Record<string, unknown>;
  step: number;
  history: unknown;
  learningRates: Record<string, number>;
  state: Record<string, unknown>;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Saves the resume checkpoint after `step` steps (atomic: a kill leaves the previous one whole). */
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
  for (const [name, opt] of Object.entries(spec.optimizers)) {
    for (const w of await opt.getWeights()) {
      tensors[`opt:${name}:${w.name}`] = w.tensor;
      owned.push(w.tensor);
    }
    learningRates[name] = (opt as unknown as { learningRate: number }).learningRate;
  }
  const state: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(spec.state ?? {})) state[k] = s.getState();
  const json: SavedJson = { identity: spec.identity, step, history: JSON.parse(JSON.stringify(history)), learningRates, state };
  try {
    const meta = checkpointMeta({ model: String(spec.identity.model ?? "resume"), seed: 0, budget: {} });
    saveCheckpoint(spec.file, tensors, { ...meta, notes: JSON.stringify(json) });
  } finally {
    tf.dispose(owned);
  }
}

/**
 * Loads the resume checkpoint into the params, optimisers and state if there is one for this run;
 * returns the step to go on from and the history rows so far (History.fromJSON reads them; this
 * file does not import lib/train.ts, which imports it), or null to start from step 0.
 */
export async function loadResume(
  spec: ResumeSpec,
  params: Record<string, tf.Variable>,
): Promise<{ step: number; history: unknown } | null> {
  if (!fs.existsSync(spec.file)) return null;
  const ck = readCheckpoint(spec.file); // a damaged file is an error naming it (lib/integrity.ts)
  const json = JSON.parse(ck.meta.notes ?? "{}") as SavedJson;
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
  for (const [name, opt] of Object.entries(spec.optimizers)) {
    const prefix = `opt:${name}:`;
    const ws = Object.keys(ck.entries)
      .filter((k) => k.startsWith(prefix))
      .map((k) => ({ name: k.slice(prefix.length), tensor: entryTensor(ck.entries[k]) }));
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
      console.log(`resume: ${target.identity.model}: its ${k} has no saved state; this run cannot resume`);
      return undefined;
    }
    all[k] = s as Stateful;
  }
  return { ...target, optimizers, state: all };
}
