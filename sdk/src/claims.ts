/**
 * Identity claims an assertion can carry (OpenID Connect Core §5.1 names where one exists, plus
 * `age_over_18` (no birthdate revealed), `place_of_origin`, `document_number`, `id_number`), and
 * `portrait`: the chip's face as JPEG, delivered beside the assertion, which carries its SHA-256 (an
 * OpenID Attachments digest). A relying party receives the intersection of its registered scope and
 * the scope of its request.
 */
export const CLAIM_NAMES = [
  'given_name',
  'family_name',
  'name',
  'birthdate',
  'gender',
  'nationality',
  'age_over_18',
  'place_of_origin',
  'address',
  'document_number',
  'id_number',
  'portrait',
] as const;

export type ClaimName = (typeof CLAIM_NAMES)[number];
