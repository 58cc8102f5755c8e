import { describe, expect, it } from 'vitest';
import { heldReasonOf } from '../../../src/modules/reviews/moderation.policy';

describe('the review filter', () => {
  it.each([
    ['Mail me: jo.silva@example.pt', 'contact-details'],
    ['ring 912 345 678 any time', 'contact-details'],
    ['+351912345678', 'contact-details'],
    ['(21) 555-0199 after six', 'contact-details'],
    ['see https://example.com/x', 'contact-details'],
    ['www.clinic-deals.net', 'contact-details'],
    ['book at bettercare.com instead', 'contact-details'],
    ['What a QUACK.', 'flagged-words'],
    ['a total scam', 'flagged-words'],
  ])('holds %j (%s)', (text, reason) => {
    expect(heldReasonOf(text)).toBe(reason);
  });

  it.each([
    'Kind and thorough; waited 20 minutes.',
    'She explained 3 options in 45 minutes.',
    'Scampi for lunch nearby was great.',
    'Dr. Costa was on time.',
    '',
  ])('publishes %j', (text) => {
    expect(heldReasonOf(text)).toBeNull();
  });

  it('publishes a review without a comment', () => {
    expect(heldReasonOf(null)).toBeNull();
  });
});
