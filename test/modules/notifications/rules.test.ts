import { describe, expect, it } from 'vitest';
import { type ChannelFacts, planChannel } from '../../../src/modules/notifications/delivery.policy';
import { renderNotice } from '../../../src/modules/notifications/render';

const NOW = Date.parse('2026-11-21T08:00:00Z');

const facts = (overrides: Partial<ChannelFacts>): ChannelFacts => ({
  channel: 'email',
  existing: undefined,
  enabled: true,
  contact: { email: 'ana@example.test', mobileNumber: '+351912345678' },
  devices: 1,
  pushConfigured: true,
  redrive: undefined,
  now: NOW,
  ...overrides,
});

describe('planChannel', () => {
  it('Should send a new, reachable, wanted channel', () => {
    for (const channel of ['in-app', 'email', 'sms', 'push'] as const) {
      expect(planChannel(facts({ channel }))).toEqual({ action: 'send' });
    }
  });

  it('Should skip a channel turned off before looking at its address, and one without an address', () => {
    expect(planChannel(facts({ enabled: false, contact: { email: null, mobileNumber: null } }))).toEqual({
      action: 'skip',
      reason: 'preference-off',
    });
    expect(planChannel(facts({ contact: { email: null, mobileNumber: null } }))).toEqual({
      action: 'skip',
      reason: 'no-email',
    });
    expect(planChannel(facts({ channel: 'sms', contact: { email: 'a@b.test', mobileNumber: null } }))).toEqual({
      action: 'skip',
      reason: 'no-phone',
    });
    expect(planChannel(facts({ channel: 'push', pushConfigured: false, devices: 0 }))).toEqual({
      action: 'skip',
      reason: 'push-not-configured',
    });
    expect(planChannel(facts({ channel: 'push', devices: 0 }))).toEqual({ action: 'skip', reason: 'no-device' });
  });

  it('Should leave final and failed deliveries alone, unless an admin re-drives a failed one', () => {
    for (const status of ['sent', 'delivered', 'skipped'] as const) {
      expect(planChannel(facts({ existing: { status, claimedUntil: null } }))).toEqual({ action: 'done' });
      expect(planChannel(facts({ existing: { status, claimedUntil: null }, redrive: ['email'] }))).toEqual({
        action: 'done',
      });
    }
    const failed = { status: 'failed' as const, claimedUntil: null };
    expect(planChannel(facts({ existing: failed }))).toEqual({ action: 'done' });
    expect(planChannel(facts({ existing: failed, redrive: ['email'] }))).toEqual({ action: 'send' });
    // A re-drive touches only its own channels.
    expect(planChannel(facts({ channel: 'in-app', redrive: ['email'] }))).toEqual({ action: 'done' });
  });

  it('Should wait for a lease still running and take a queued delivery whose lease has passed', () => {
    expect(planChannel(facts({ existing: { status: 'queued', claimedUntil: NOW + 1 } }))).toEqual({ action: 'busy' });
    expect(planChannel(facts({ existing: { status: 'queued', claimedUntil: NOW } }))).toEqual({ action: 'send' });
    expect(planChannel(facts({ existing: { status: 'queued', claimedUntil: null } }))).toEqual({ action: 'send' });
  });
});

describe('renderNotice', () => {
  it('Should escape what it puts in HTML and keep the SMS short', () => {
    const rendered = renderNotice(
      'message',
      { title: 'Hi <b>Ana</b>', body: `A & B\n\n${'x'.repeat(400)}` },
      { locale: 'en' },
    );
    expect(rendered.title).toBe('Hi <b>Ana</b>');
    expect(rendered.html).toContain('<h2>Hi &#60;b&#62;Ana&#60;/b&#62;</h2>');
    expect(rendered.html).toContain('<p>A &#38; B</p>');
    expect(rendered.sms.length).toBe(300);
  });

  it('Should refuse data its template cannot render', () => {
    expect(() => renderNotice('message', { title: 'Hi' } as never, { locale: 'en' })).toThrow(/needs body/);
  });
});
