import { describe, expect, it } from 'vitest';
import { codeEmail } from '../../../src/access/code-messages';
import { OTP_PURPOSES } from '../../../src/db/schema';
import {
  type AppointmentVars,
  type RenderedEmail,
  renderEmail,
  type TemplateName,
  type TemplateVars,
} from '../../../src/lib/email/templates';
import { fromBase64Url } from '../../../src/lib/ids';
import { icsValues, parseIcs } from '../../support/ics';

/** Friday 15 May 2026, 14:30 in Nairobi (UTC+3). */
const START = Date.parse('2026-05-15T11:30:00Z');
const NAIROBI = { timeZone: 'Africa/Nairobi' };
/** What a person could type as a name: markup, quotes, an ampersand. */
const HOSTILE = `<script>alert("x")</script> O'Brien & Co`;
const ESCAPED = '&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; O&#39;Brien &#38; Co';

const appointment: AppointmentVars = {
  appointmentId: 'apt_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
  startsAt: START,
  endsAt: START + 30 * 60_000,
  type: 'video',
  serviceName: 'General consultation',
  doctorName: HOSTILE,
  patientName: HOSTILE,
  recipientRole: 'patient',
  pending: true,
  sequence: 2,
  updatedAt: Date.parse('2026-05-01T08:00:00Z'),
  url: 'https://app.kinwell.health/appointments/apt_01JF8ZS5X0V6M3A2Q9K1T7B4CE',
};

/** Every template with a name or text a person typed in it (the code templates carry only the code). */
const CASES: { [N in TemplateName]: TemplateVars[N] } = {
  'verification-code': { code: '482913', purpose: 'verify-email' },
  'password-reset': { code: '482913' },
  welcome: { name: HOSTILE, url: 'https://app.kinwell.health/' },
  'appointment-booked': appointment,
  'appointment-confirmed': appointment,
  'appointment-cancelled': { ...appointment, cancelledBy: 'doctor' },
  'appointment-rescheduled': { ...appointment, previousStartsAt: START - 24 * 3600_000 },
  'appointment-reminder': { ...appointment, lead: '24h' },
  'medication-reminder': { medicineName: HOSTILE, dose: '1 tablet', at: START, forName: HOSTILE },
  'vaccine-due': { vaccineName: HOSTILE, dueDate: '2026-05-16', when: 'tomorrow', forName: HOSTILE },
  notice: { title: HOSTILE, message: `${HOSTILE}\n\nSecond paragraph.`, url: 'https://kinwell.health/news' },
  'caregiver-request': { requestId: 'crq_1', requesterName: HOSTILE },
  'caregiver-accepted': { requestId: 'crq_1', caregiverName: HOSTILE },
  'email-changed': { newEmail: HOSTILE },
  'mobile-changed': { newNumber: HOSTILE },
  'payment-receipt': {
    paymentId: 'pay_01JF8ZS5X0V6M3A2Q9K1T7B4CD',
    receipt: {
      number: 'KW-2026-000042',
      issuedAt: START,
      timeZone: 'Africa/Nairobi',
      currency: 'KES',
      clinic: { name: HOSTILE, addressLines: ['1 Example Street'] },
      billedTo: { name: HOSTILE, email: 'patient@example.test' },
      lines: [{ description: HOSTILE, quantity: 1, unitCents: 11600, totalCents: 11600 }],
      subtotalCents: 10000,
      taxLines: [{ label: 'VAT', rateBps: 1600, amountCents: 1600 }],
      totalCents: 11600,
      payment: {
        reference: 'pay_01JF8ZS5X0V6M3A2Q9K1T7B4CD',
        paidAt: START,
        method: { brand: 'visa', last4: '4242' },
        status: 'paid',
      },
      refunds: [],
    },
  },
};

const NAMES = Object.keys(CASES) as TemplateName[];
const render = <N extends TemplateName>(name: N, locale: string | null, vars: TemplateVars[N] = CASES[name]) =>
  renderEmail(name, vars, { locale, ...NAIROBI });
const decode = (content: string) => new TextDecoder().decode(fromBase64Url(content));
const icsOf = (email: RenderedEmail) => parseIcs(decode(email.attachments![0]!.content)).events;

describe('email templates', () => {
  for (const name of NAMES) {
    for (const [locale, footer] of [
      ['en-GB', 'You are receiving this email because you have a Kinwell account.'],
      ['sw-KE', 'Unapokea barua pepe hii kwa sababu una akaunti ya Kinwell.'],
    ] as const) {
      it(`Should render ${name} in ${locale}: branded HTML, a text part, user data escaped`, () => {
        const email = render(name, locale);
        expect(email.subject.startsWith('Kinwell: ')).toBe(true);
        expect(email.subject).not.toMatch(/[\r\n]/);
        expect(email.html.startsWith('<!doctype html>')).toBe(true);
        expect(email.html).toContain(`<html lang="${locale}" dir="ltr">`);
        expect(email.html).toContain('role="presentation"');
        expect(email.html).toContain(footer);
        expect(email.text).toContain(footer);
        expect(email.text.length).toBeGreaterThan(footer.length + 20);
        // No markup from the data: the only tags are the layout's own.
        expect(email.html).not.toContain('<script');
        expect(email.html).not.toContain(`O'Brien`);
        const carriesData = !['verification-code', 'password-reset'].includes(name);
        if (carriesData) {
          expect(email.html).toContain(ESCAPED);
          expect(email.text).toContain(HOSTILE);
        }
      });
    }
  }

  it('Should word each template in Swahili, not English, for sw', () => {
    expect(render('verification-code', 'sw').subject).toBe('Kinwell: Thibitisha barua pepe yako');
    expect(render('verification-code', 'sw').text).toContain('Msimbo wako wa Kinwell ni\n\n482913');
    expect(render('appointment-booked', 'sw-KE').html).toContain('Miadi imewekwa');
    expect(render('appointment-reminder', 'sw', { ...appointment, lead: '1h' }).subject).toContain(
      'Inaanza baada ya saa moja',
    );
    expect(render('vaccine-due', 'sw', { ...CASES['vaccine-due'], when: 'today' }).subject).toContain(
      'Chanjo inatakiwa leo',
    );
    expect(render('caregiver-request', 'sw', { requestId: 'crq_1', requesterName: 'Amina' }).subject).toBe(
      'Kinwell: Amina amekuomba uwe mlezi wake',
    );
    expect(render('caregiver-accepted', 'sw', { requestId: 'crq_1', caregiverName: null }).text).toContain(
      'Mtu fulani amekubali ombi lako',
    );
    expect(render('email-changed', 'sw', { newEmail: 'p••@example.com' }).subject).toBe(
      'Kinwell: Barua pepe yako imebadilishwa',
    );
    expect(render('mobile-changed', 'sw', { newNumber: '•••0123' }).text).toContain('imebadilishwa kuwa •••0123');
  });

  it('Should fall back to English for a language without a catalog, no language, or an invalid tag', () => {
    for (const locale of ['fr-FR', 'hi', 'zz', null, 'not a tag!']) {
      const email = render('appointment-confirmed', locale);
      expect(email.subject, String(locale)).toMatch(/^Kinwell: Appointment confirmed: Friday, May 15, 2026/);
      expect(email.html, String(locale)).toContain('<html lang="en" dir="ltr">');
      expect(email.text).toContain('confirmed your appointment');
    }
  });

  it("Should show instants in the recipient's zone and locale, and UTC for an unknown zone", () => {
    expect(render('appointment-booked', 'en-GB').subject).toBe(
      'Kinwell: Appointment booked: Friday, 15 May 2026 at 14:30 GMT+3',
    );
    expect(render('appointment-booked', 'sw-KE').subject).toBe(
      'Kinwell: Miadi imewekwa: Ijumaa, 15 Mei 2026 saa 14:30 GMT +3',
    );
    const lisbon = renderEmail('medication-reminder', CASES['medication-reminder'], {
      locale: 'en-GB',
      timeZone: 'Europe/Lisbon',
    });
    expect(lisbon.subject).toMatch(/at 12:30 (GMT\+1|WEST)$/);
    const unknown = renderEmail('appointment-booked', appointment, { locale: 'en-GB', timeZone: 'Mars/Olympus' });
    expect(unknown.subject).toContain('11:30 UTC');
  });

  it("Should show a vaccine's due date as the calendar date it is, in any zone", () => {
    for (const timeZone of ['Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
      const email = renderEmail('vaccine-due', CASES['vaccine-due'], { locale: 'en-GB', timeZone });
      expect(email.text).toContain('due on Saturday, 16 May 2026.');
    }
  });

  it('Should attach an .ics with the UTC start to appointment changes, and none to reminders', () => {
    const statuses: [TemplateName, string][] = [
      ['appointment-booked', 'TENTATIVE'],
      ['appointment-confirmed', 'CONFIRMED'],
      ['appointment-cancelled', 'CANCELLED'],
      ['appointment-rescheduled', 'TENTATIVE'],
    ];
    for (const [name, status] of statuses) {
      const email = render(name, 'en-GB');
      expect(email.attachments).toHaveLength(1);
      expect(email.attachments![0]).toMatchObject({
        filename: 'appointment.ics',
        contentType: 'text/calendar; charset=utf-8; method=PUBLISH',
      });
      const events = icsOf(email);
      expect(events).toHaveLength(1);
      expect(icsValues(events[0]!), name).toMatchObject({
        UID: `${appointment.appointmentId}@kinwell.health`,
        DTSTART: '20260515T113000Z',
        DTEND: '20260515T120000Z',
        DTSTAMP: '20260501T080000Z',
        SEQUENCE: '2',
        STATUS: status,
      });
      expect(email.text).toContain('.ics');
    }
    const confirmedSw = icsOf(render('appointment-confirmed', 'sw'))[0]!;
    expect(confirmedSw.SUMMARY?.value).toContain('General consultation na Dkt.');
    expect(render('appointment-reminder', 'en-GB').attachments).toBeUndefined();
  });

  it('Should speak to each party: the patient reads about the doctor, the doctor about the patient', () => {
    const named = { ...appointment, doctorName: 'Dana Demo', patientName: 'Pat Patient', pending: false };
    expect(render('appointment-booked', 'en', named).text).toContain('Your appointment with Dr. Dana Demo on');
    expect(render('appointment-booked', 'en', { ...named, recipientRole: 'doctor' }).text).toContain(
      'Pat Patient booked an appointment with you on',
    );
    expect(render('appointment-booked', 'en', { ...named, doctorName: 'Dr. Dana Demo' }).text).not.toContain('Dr. Dr.');
    const pending = render('appointment-booked', 'en', { ...named, pending: true }).text;
    expect(pending).toContain('The practice will confirm it');
    expect(render('appointment-cancelled', 'en', { ...named, cancelledBy: 'patient' }).text).toContain(
      'It was cancelled by the patient.',
    );
  });

  it('Should keep links to http(s) only, escaped in the attribute', () => {
    const hostile = render('notice', 'en', { title: 'Hi', message: 'Text', url: 'javascript:alert(1)' });
    expect(hostile.html).not.toContain('javascript:');
    expect(hostile.html).not.toContain('<a ');
    expect(hostile.text).not.toContain('javascript:');
    const quoted = render('notice', 'en', { title: 'Hi', message: 'Text', url: 'https://kinwell.health/x?a=1&b="2"' });
    expect(quoted.html).toContain('href="https://kinwell.health/x?a=1&#38;b=%222%22"');
    expect(quoted.text).toContain('Open: https://kinwell.health/x?a=1&b=%222%22');
  });

  it('Should keep a notice title with line breaks on one subject line, and its paragraphs apart', () => {
    const email = render('notice', 'en', { title: 'Maintenance\r\nBcc: someone@example.com', message: 'One\n\nTwo' });
    expect(email.subject).toBe('Kinwell: Maintenance Bcc: someone@example.com');
    expect(email.html).toContain('>One</p>');
    expect(email.html).toContain('>Two</p>');
  });

  it('Should keep the one-time code emails as they were: the same subjects, the code in the text part', () => {
    const subjects = Object.fromEntries(
      OTP_PURPOSES.map((purpose) => [purpose, codeEmail(purpose, '482913', 600_000).subject]),
    );
    expect(subjects).toEqual({
      'verify-email': 'Kinwell: Verify your email',
      'change-email': 'Kinwell: Confirm your new email',
      'change-mobile': 'Kinwell: Confirm your new number',
      'account-deletion': 'Kinwell: Confirm account deletion',
      invitation: 'Kinwell: You have been invited',
      'login-email': 'Kinwell: Your sign-in code',
      'login-sms': 'Kinwell: Your sign-in code',
      'password-reset': 'Kinwell: Reset your password',
      'two-factor': 'Kinwell: Your verification code',
      'email-2fa-setup': 'Kinwell: Your security code',
    });
    for (const purpose of OTP_PURPOSES) {
      const email = codeEmail(purpose, '482913', 600_000, 'Kinwell');
      expect(/\b(\d{6})\b/.exec(email.text)?.[1]).toBe('482913');
      expect(email.text).toContain('It expires in 10 minutes.');
      expect(email.html).toContain('482913');
    }
    expect(codeEmail('login-email', '482913', 5 * 60_000).text).toContain('It expires in 5 minutes.');
  });
});
