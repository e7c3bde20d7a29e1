/**
 * Parameters older searches had and new ones never search. Pure (no tfjs): the extension's search view reads it
 * without loading the search space's graph code.
 */
import type { SearchSpace } from './space';

/** Parameters older searches had that can change no component's score (the first layer's rule): never searched again. */
export const RETIRED_PARAMS: readonly string[] = ['first.rule'];

/** The parameters whose importance a report shows: an older search's retired ones changed nothing. */
export const importanceSpace = (space: SearchSpace): SearchSpace =>
  space.filter((p) => !RETIRED_PARAMS.includes(p.name));
