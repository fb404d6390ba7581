/**
 * The MNIST classifier every notebook uses as its measuring instrument: it labels generated
 * digits (class histograms, ../eval/classes.ts) and its last hidden layer gives the features of the
 * Frechet distance (../eval/frechet.ts).
 *
 * A small CNN (EVAL_CLASSIFIER_CONFIG: two blocks of 3x3 conv, ReLU and 2x2 max-pool with 32 and
 * 64 channels, a dense layer of 128 ReLU units, the features, and the 10 logits) trained with Adam
 * on the official 60,000 training digits, each minibatch shifted by up to 2 pixels in each
 * direction (augmentation), learning rate 1e-3 then 3e-4 then 1e-4. Weights:
 * data/weights/eval-mnist-classifier.safetensors (through fitOrLoad: shipped, full or smoke like
 * every model); its test accuracy on the official 10,000 test digits is stored with them.
 */
import { toFloat } from "../data/batch";
import { loadMnist, trainingData, type ImageSet } from "../data/mnist";
import { accuracy, ConvClassifier, trainClassifier, type Features } from "./classifier";
import type { ConvClassifierConfig, SoftmaxClassifier } from "./classifier";
import { classHistogram, klFromUniform } from "../eval/classes";
import { frechetFromStats, gaussianStats } from "../eval/frechet";
import { sharpness } from "../eval/sharpness";
import { Rng, type Stateful } from "../runtime/random";
import type { TrainMode } from "../runtime/env";
import { resumePhases, type ResumeTarget } from "../training/resume";
import { History } from "../training/train";
import { fitOrLoad, type FitResult } from "../training/weights";
import { randomShifts } from "../eval/images";

export const EVAL_CLASSIFIER_MODEL = "eval-mnist-classifier";
export const EVAL_CLASSIFIER_CONFIG: ConvClassifierConfig = {
  height: 28,
  width: 28,
  channels: [32, 64],
  kernel: 3,
  dense: 128,
  classes: 10,
};
export const EVAL_CLASSIFIER_SEED = 7;
/** Learning rate of each phase; the budget's steps are split equally among them. */
const PHASE_LR = [1e-3, 3e-4, 1e-4];

export interface EvalClassifierBudget extends Record<string, number> {
  steps: number;
  batchSize: number;
  maxShift: number;
}

export const EVAL_CLASSIFIER_BUDGET: { full: EvalClassifierBudget; smoke: EvalClassifierBudget } = {
  full: { steps: 7500, batchSize: 128, maxShift: 2 },
  smoke: { steps: 60, batchSize: 128, maxShift: 2 },
};

/** Images as model input: floats in [0,1], n x 784. Accepts an ImageSet or floats already. */
function asRows(images: ImageSet | Float32Array): Float32Array {
  return images instanceof Float32Array ? images : toFloat(images);
}

export class EvalClassifier {
  constructor(
    readonly model: SoftmaxClassifier,
    readonly fit: FitResult,
    /** Held-out accuracy on the test split of the MNIST it was trained on. */
    readonly testAccuracy: number,
  ) {}

  /** Predicted class of every image (n x 784 floats in [0,1], or an ImageSet). */
  predict(images: ImageSet | Float32Array): Int32Array {
    return this.model.predict({ x: asRows(images), dim: 784 });
  }

  /** Class probabilities, n x 10 row-major. */
  proba(images: ImageSet | Float32Array): Float32Array {
    return this.model.proba({ x: asRows(images), dim: 784 });
  }

  /** Feature dimension (width of the last hidden layer). */
  get featureDim(): number {
    return this.model.featureDim;
  }

  /** Last-hidden-layer activations, n x featureDim row-major, in batches. */
  features(images: ImageSet | Float32Array, batch = 1024): Float32Array {
    return this.model.features({ x: asRows(images), dim: 784 }, batch);
  }
}

let cached: Promise<EvalClassifier> | undefined;

/**
 * The evaluation classifier: loaded from data/weights/ when shipped, trained otherwise (per
 * GENLAB_TRAIN, through fitOrLoad), or per `mode` when given (`npm run train` loads the shipped
 * one while it retrains another model). Cached per process: the first call's mode holds.
 */
export function evalClassifier(mode?: TrainMode): Promise<EvalClassifier> {
  if (!cached) {
    cached = buildEvalClassifier(mode);
    cached.catch(() => (cached = undefined));
  }
  return cached;
}

async function buildEvalClassifier(mode?: TrainMode): Promise<EvalClassifier> {
  const ds = loadMnist();
  const xTrain = toFloat(ds.train);
  const xTest = toFloat(ds.test);
  const model = new ConvClassifier(
    EVAL_CLASSIFIER_MODEL,
    EVAL_CLASSIFIER_CONFIG,
    new Rng(EVAL_CLASSIFIER_SEED),
  );
  const train = { x: xTrain, dim: 784, y: ds.train.labels };
  const testAcc = () => accuracy(model.predict({ x: xTest, dim: 784 }), ds.test.labels);
  const fit = await fitOrLoad({
    model: EVAL_CLASSIFIER_MODEL,
    params: model.params(),
    mode,
    seed: EVAL_CLASSIFIER_SEED,
    budget: EVAL_CLASSIFIER_BUDGET,
    data: trainingData(ds),
    train: (b, ctx) => trainEvalClassifier(model, train, b, ctx),
    metrics: () => ({ testAccuracy: testAcc() }),
  });
  return new EvalClassifier(model, fit, testAcc());
}

/**
 * The evaluation classifier's training (buildEvalClassifier; exported for test/resume.test.ts): the
 * budget's steps split equally among the rates of PHASE_LR, each phase a trainClassifier run of its
 * own (a fresh Adam, batches seeded EVAL_CLASSIFIER_SEED + phase), every minibatch shifted by up to
 * `maxShift` pixels by one generator over all phases. The rows are 28 x 28 images. With ctx.resume
 * each phase keeps a resume checkpoint (resumePhases), holding the history of the phases before it
 * and the shifts' generator, so a killed run goes on in the phase it was in.
 */
export async function trainEvalClassifier(
  model: SoftmaxClassifier,
  data: Features & { y: ArrayLike<number> },
  b: EvalClassifierBudget,
  ctx: { resume?: ResumeTarget } = {},
): Promise<History> {
  const rng = new Rng(EVAL_CLASSIFIER_SEED).fork("shifts");
  const history = new History();
  const earlier: Stateful = {
    getState: () => history.rows,
    setState: (rows) => void history.rows.splice(0, Infinity, ...History.fromJSON(rows).rows),
  };
  const phases = ctx.resume ? resumePhases(ctx.resume, PHASE_LR.length) : null;
  const per = Math.ceil(b.steps / PHASE_LR.length);
  for (let p = phases?.start ?? 0; p < PHASE_LR.length; p++) {
    const steps = Math.min(per, b.steps - p * per);
    const lr = PHASE_LR[p];
    const h = await trainClassifier(
      model,
      data,
      { steps, batchSize: b.batchSize, lr },
      {
        seed: EVAL_CLASSIFIER_SEED + p,
        label: `eval classifier (phase ${p + 1}/${PHASE_LR.length}, lr ${lr})`,
        augment: (rows) => randomShifts(rows, 28, 28, b.maxShift, rng),
        resume: phases?.phase(p),
        state: { shifts: rng, earlier },
      },
    );
    const offset = history.last()?.step ?? 0;
    const t0 = history.last()?.seconds ?? 0;
    for (const r of h.rows) history.push({ ...r, step: r.step + offset, seconds: r.seconds + t0 });
  }
  return history;
}

/** What genlab measures on a set of generated digits (notebooks 03, 04, 06). */
export interface SampleQuality {
  /** Frechet distance of the evaluation classifier's features to the reference digits'. */
  frechet: number;
  /**
   * Class histogram by the evaluation classifier, its KL from uniform and the largest class's
   * share.
   */
  histogram: number[];
  classKl: number;
  topClassShare: number;
  /** Mean variance of the Laplacian (sharpness). */
  laplacianVar: number;
}

export interface QualityScorer {
  classifier: EvalClassifier;
  /** The reference digits scored against themselves (Frechet 0). */
  reference: SampleQuality;
  score(images: Float32Array): SampleQuality;
  /** The Frechet distance alone (cheaper: no histogram, no sharpness). */
  frechet(images: Float32Array): number;
}

/**
 * Scores generated digits (n x 784 in [0, 1]) against `real` ones, whose feature statistics are
 * computed once: Frechet distance on the evaluation classifier's features, class balance,
 * sharpness.
 */
export async function qualityScorer(real: Float32Array): Promise<QualityScorer> {
  const ec = await evalClassifier();
  const realStats = gaussianStats(ec.features(real), ec.featureDim);
  const frechet = (images: Float32Array) =>
    frechetFromStats(gaussianStats(ec.features(images), ec.featureDim), realStats);
  const rest = (images: Float32Array, fd: number): SampleQuality => {
    const h = classHistogram(ec.predict(images), 10);
    return {
      frechet: fd,
      histogram: h,
      classKl: klFromUniform(h),
      topClassShare: Math.max(...h) / (images.length / 784),
      laplacianVar: sharpness(images, 28, 28).laplacianVar,
    };
  };
  return {
    classifier: ec,
    reference: rest(real, 0),
    score: (images) => rest(images, frechet(images)),
    frechet,
  };
}
