/**
 * A dated timeline of the generative families (notebook 06, claim A13). Facts with their sources:
 * first arXiv submission (the identifier encodes year and month) and where the paper was published.
 */

export interface Milestone {
  /** First arXiv version, YYYY-MM-DD. */
  arxivDate: string;
  arxiv: string;
  model: string;
  family: "autoregressive" | "VAE" | "GAN" | "flow";
  authors: string;
  venue: string;
}

export const TIMELINE: readonly Milestone[] = [
  {
    arxivDate: "2011-04-11",
    arxiv: "(no arXiv; AISTATS 2011 proceedings, PMLR 15:29-37)",
    model: "NADE",
    family: "autoregressive",
    authors: "Larochelle & Murray",
    venue: "AISTATS 2011",
  },
  {
    arxivDate: "2013-12-20",
    arxiv: "1312.6114",
    model: "VAE (auto-encoding variational Bayes)",
    family: "VAE",
    authors: "Kingma & Welling",
    venue: "ICLR 2014",
  },
  {
    arxivDate: "2014-01-16",
    arxiv: "1401.4082",
    model: "Deep latent Gaussian models (stochastic backprop.)",
    family: "VAE",
    authors: "Rezende, Mohamed & Wierstra",
    venue: "ICML 2014",
  },
  {
    arxivDate: "2014-06-10",
    arxiv: "1406.2661",
    model: "GAN",
    family: "GAN",
    authors: "Goodfellow et al.",
    venue: "NIPS 2014",
  },
  {
    arxivDate: "2014-10-30",
    arxiv: "1410.8516",
    model: "NICE",
    family: "flow",
    authors: "Dinh, Krueger & Bengio",
    venue: "ICLR 2015 (workshop track)",
  },
  {
    arxivDate: "2015-02-12",
    arxiv: "1502.03509",
    model: "MADE",
    family: "autoregressive",
    authors: "Germain, Gregor, Murray & Larochelle",
    venue: "ICML 2015",
  },
  {
    arxivDate: "2015-11-19",
    arxiv: "1511.06434",
    model: "DCGAN",
    family: "GAN",
    authors: "Radford, Metz & Chintala",
    venue: "ICLR 2016",
  },
  {
    arxivDate: "2016-01-25",
    arxiv: "1601.06759",
    model: "PixelRNN / PixelCNN",
    family: "autoregressive",
    authors: "van den Oord, Kalchbrenner & Kavukcuoglu",
    venue: "ICML 2016",
  },
  {
    arxivDate: "2016-05-27",
    arxiv: "1605.08803",
    model: "RealNVP",
    family: "flow",
    authors: "Dinh, Sohl-Dickstein & Bengio",
    venue: "ICLR 2017",
  },
  {
    arxivDate: "2017-01-26",
    arxiv: "1701.07875",
    model: "WGAN",
    family: "GAN",
    authors: "Arjovsky, Chintala & Bottou",
    venue: "ICML 2017",
  },
  {
    arxivDate: "2017-03-31",
    arxiv: "1704.00028",
    model: "WGAN-GP",
    family: "GAN",
    authors: "Gulrajani et al.",
    venue: "NIPS 2017",
  },
  {
    arxivDate: "2018-07-09",
    arxiv: "1807.03039",
    model: "Glow",
    family: "flow",
    authors: "Kingma & Dhariwal",
    venue: "NeurIPS 2018",
  },
];

/** The year-month an arXiv identifier encodes (new-style ids YYMM.NNNNN), or null for none. */
export function arxivYearMonth(id: string): { year: number; month: number } | null {
  const m = /^(\d{2})(\d{2})\.\d{4,5}$/.exec(id);
  return m ? { year: 2000 + Number(m[1]), month: Number(m[2]) } : null;
}
