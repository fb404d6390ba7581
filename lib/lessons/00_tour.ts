/**
 * Notebook 00 (a tour of genlab): the class-count table of the two image data sets, and the map
 * of a two-class posterior p(y = 1 | x) over the plane that notebook 01 draws again for each of
 * its classifiers.
 */
import { describeDataset, type Dataset } from "../data/mnist";
import type { Grid2D } from "../display/grid";
import type { Heatmap2dOptions, Points2d } from "../display/plot";
import type { Row } from "../display/table";

/** One row per class: MNIST's train and test counts beside Fashion-MNIST's class of that index. */
export function datasetCountRows(mnist: Dataset, fashion: Dataset): Row[] {
  const dm = describeDataset(mnist);
  const df = describeDataset(fashion);
  return dm.classNames.map((c, i) => ({
    class: c,
    "MNIST train": dm.train.counts[i],
    "MNIST test": dm.test.counts[i],
    "Fashion class": df.classNames[i],
    "Fashion train": df.train.counts[i],
    "Fashion test": df.test.counts[i],
  }));
}

/** The second column of an n x 2 row-major matrix of class probabilities: p(y = 1 | x). */
export function classOneColumn(proba: ArrayLike<number>): number[] {
  return Array.from(proba).filter((_, i) => i % 2 === 1);
}

/**
 * The heatmap options of p(y = 1 | x) on grid `g` (`proba`: the two class probabilities at each
 * grid point), red to blue from 0 to 1, with `samples` on top.
 */
export function posteriorHeatmap(
  g: Grid2D,
  proba: ArrayLike<number>,
  samples: Points2d,
  title: string,
): Heatmap2dOptions {
  return {
    x: g.xs,
    y: g.ys,
    z: classOneColumn(proba),
    samples,
    title,
    colorscale: "RdBu",
    zmin: 0,
    zmax: 1,
  };
}
