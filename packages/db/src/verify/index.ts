export {
  addListedPage,
  compareWithListing,
  createListingSnapshot,
  dropListingSnapshot,
  type CompareOptions,
  type DifferenceSample,
  type ListingComparison,
} from "./listing-snapshot.js";
