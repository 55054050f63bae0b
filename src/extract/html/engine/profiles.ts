/** The page types the engine tells apart; each has a {@link SelectionProfile}. */
export type PageType =
  'article' | 'forum' | 'product' | 'collection' | 'listing' | 'documentation' | 'service' | 'other';

/** Every page type, in a fixed order (the order of the classifier's weights). */
export const PAGE_TYPES: readonly PageType[] = [
  'article',
  'forum',
  'product',
  'collection',
  'listing',
  'documentation',
  'service',
  'other',
];

/** How selection treats a page of one type. */
export interface SelectionProfile {
  /** Drop comment threads (articles), or keep them (forums: the posts are the content). */
  dropsComments: boolean;
  /** Blocks whose share of link text is at least this are candidates for dropping as link lists. */
  maxLinkDensity: number;
  /** A link-dense block stays when its links average at least this many characters (card titles). */
  minCardLinkChars: number;
  /** Weight of link characters against plain ones when following the text down the tree. */
  linkPenalty: number;
  /** Share of its parent's score a child needs for the selection to narrow to it. */
  followShare: number;
  /** Keep sibling blocks of the main block that carry this many plain characters (sections, posts). */
  siblingMinChars: number;
  /** Drop the sections a review, rating or questions heading opens (products: the truth is the item, not what buyers wrote). */
  dropsReviews?: boolean;
}

const ARTICLE: SelectionProfile = {
  dropsComments: true,
  maxLinkDensity: 0.5,
  minCardLinkChars: 1e9,
  linkPenalty: 2,
  followShare: 0.6,
  siblingMinChars: Infinity,
};

/** The profile of each page type. */
export const PROFILES: Readonly<Record<PageType, SelectionProfile>> = {
  article: ARTICLE,
  documentation: { ...ARTICLE, maxLinkDensity: 0.6, siblingMinChars: Infinity },
  forum: {
    dropsComments: false,
    maxLinkDensity: 0.6,
    minCardLinkChars: 1e9,
    linkPenalty: 1,
    followShare: 0.75,
    siblingMinChars: 300,
  },
  product: {
    dropsComments: false,
    maxLinkDensity: 0.6,
    minCardLinkChars: 1e9,
    linkPenalty: 1,
    followShare: 0.75,
    siblingMinChars: 200,
    dropsReviews: true,
  },
  collection: {
    dropsComments: true,
    maxLinkDensity: 0.7,
    minCardLinkChars: 6,
    linkPenalty: 0.5,
    followShare: 0.8,
    siblingMinChars: 300,
  },
  listing: {
    dropsComments: true,
    maxLinkDensity: 0.7,
    minCardLinkChars: 6,
    linkPenalty: 0.5,
    followShare: 0.8,
    siblingMinChars: 300,
  },
  service: {
    dropsComments: true,
    maxLinkDensity: 0.6,
    minCardLinkChars: 40,
    linkPenalty: 1,
    followShare: 0.8,
    siblingMinChars: 200,
  },
  other: {
    dropsComments: true,
    maxLinkDensity: 0.6,
    minCardLinkChars: 40,
    linkPenalty: 1,
    followShare: 0.7,
    siblingMinChars: 300,
  },
};
