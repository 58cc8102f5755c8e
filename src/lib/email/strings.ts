/**
 * The words of every email, one catalog per language. A catalog is typed by `Strings`, so a language
 * missing a message does not compile. Values are plain text: the layout escapes them.
 */

/** What a one-time code is for (its heading and subject). */
export type CodePurpose =
  | 'verify-email'
  | 'change-email'
  | 'change-mobile'
  | 'account-deletion'
  | 'invitation'
  | 'sign-in'
  | 'two-factor'
  | 'security';

/** How the visit happens (the appointment's `type`). */
export type AppointmentKind = 'video' | 'in-person';
/** Who cancelled an appointment, when the cancellation email says so. */
export type CancelledBy = 'patient' | 'doctor' | 'practice';

/** The pieces of an appointment sentence, already formatted for the recipient. */
export interface AppointmentWords {
  /** The other party: "Dr. Dana Demo" for a patient, the patient's name for a doctor. */
  other: string;
  /** Start, in the recipient's zone and locale. */
  when: string;
  /** Start time of day only. */
  time: string;
  /** The start before a reschedule. */
  previous: string;
}

/** One appointment message: the same subject and heading for both parties, a sentence for each. */
export interface AppointmentMessage {
  subject: (w: AppointmentWords) => string;
  heading: string;
  patient: (w: AppointmentWords) => string;
  doctor: (w: AppointmentWords) => string;
}

/** Every message of every template, in one language. */
export interface Strings {
  footer: (app: string) => string[];
  code: {
    headings: Record<CodePurpose, string>;
    intro: (app: string) => string;
    expiry: (minutes: number) => string;
  };
  passwordReset: { heading: string; intro: (app: string) => string; expiry: (minutes: number) => string };
  welcome: {
    heading: (app: string) => string;
    greeting: (name: string | null) => string;
    body: string;
    open: (app: string) => string;
  };
  appointment: {
    labels: { when: string; with: string; service: string; type: string; previously: string };
    kinds: Record<AppointmentKind, string>;
    /** "Dr. Dana Demo" whether or not the stored name already carries the title. */
    doctor: (name: string | null) => string;
    patient: (name: string | null) => string;
    pendingPatient: string;
    pendingDoctor: string;
    cancelledBy: Record<CancelledBy, string>;
    calendar: string;
    arrive: Record<AppointmentKind, string>;
    open: string;
    /** The calendar event's title, e.g. "General consultation with Dr. Dana Demo". */
    summary: (w: { what: string; other: string }) => string;
    booked: AppointmentMessage;
    confirmed: AppointmentMessage;
    cancelled: AppointmentMessage;
    rescheduled: AppointmentMessage;
    reminder24h: AppointmentMessage;
    reminder1h: AppointmentMessage;
  };
  medication: {
    subject: (w: { medicine: string; time: string }) => string;
    heading: string;
    intro: (w: { medicine: string; time: string; forName: string | null }) => string;
    labels: { medicine: string; dose: string; time: string; for: string };
    note: string;
  };
  vaccine: {
    subject: (w: { vaccine: string; today: boolean }) => string;
    heading: (today: boolean) => string;
    intro: (w: { vaccine: string; date: string; forName: string | null }) => string;
    labels: { vaccine: string; date: string; for: string };
    note: string;
  };
  notice: { open: string };
  caregiver: {
    /** A requester or caregiver without a name. */
    someone: string;
    request: {
      subject: (w: { name: string }) => string;
      heading: string;
      intro: (w: { name: string }) => string;
    };
    accepted: {
      subject: (w: { name: string }) => string;
      heading: string;
      intro: (w: { name: string }) => string;
    };
  };
  security: {
    /** `address` is already masked (`p••@example.com`, `•••0123`). */
    emailChanged: { heading: string; intro: (w: { app: string; address: string }) => string };
    mobileChanged: { heading: string; intro: (w: { app: string; address: string }) => string };
    notYou: string;
  };
  receipt: {
    subject: (w: { number: string; clinic: string }) => string;
    heading: string;
    intro: (w: { amount: string; clinic: string; description: string }) => string;
    labels: { number: string; paid: string; amount: string; method: string };
    attached: string;
  };
}

/** English: the fallback for every language without a catalog. */
export const EN: Strings = {
  footer: (app) => [
    `You are receiving this email because you have a ${app} account.`,
    'This is an automated message; replies are not read.',
  ],
  code: {
    headings: {
      'verify-email': 'Verify your email',
      'change-email': 'Confirm your new email',
      'change-mobile': 'Confirm your new number',
      'account-deletion': 'Confirm account deletion',
      invitation: 'You have been invited',
      'sign-in': 'Your sign-in code',
      'two-factor': 'Your verification code',
      security: 'Your security code',
    },
    intro: (app) => `Your ${app} code is`,
    expiry: (minutes) => `It expires in ${minutes} minutes. If you did not ask for it, ignore this email.`,
  },
  passwordReset: {
    heading: 'Reset your password',
    intro: (app) => `Your ${app} code to choose a new password is`,
    expiry: (minutes) =>
      `It expires in ${minutes} minutes. If you did not ask to reset your password, ignore this email: your password stays as it is.`,
  },
  welcome: {
    heading: (app) => `Welcome to ${app}`,
    greeting: (name) => (name ? `Hi ${name},` : 'Hi,'),
    body: "Your account is ready. You can book appointments with doctors, keep track of your medicines and vaccinations, and look after your family's care, all in one place.",
    open: (app) => `Open ${app}`,
  },
  appointment: {
    labels: { when: 'When', with: 'With', service: 'Service', type: 'Type', previously: 'Previously' },
    kinds: { video: 'Video consultation', 'in-person': 'In-person visit' },
    doctor: (name) => (!name ? 'your doctor' : /^dr\.?\s/i.test(name) ? name : `Dr. ${name}`),
    patient: (name) => name ?? 'a patient',
    pendingPatient: 'The practice will confirm it; we will email you when it does.',
    pendingDoctor: 'Confirm or decline it in the app.',
    cancelledBy: {
      patient: 'It was cancelled by the patient.',
      doctor: 'It was cancelled by the doctor.',
      practice: 'It was cancelled by the practice.',
    },
    calendar: 'The attached calendar file (.ics) updates the appointment in your calendar.',
    arrive: {
      video: 'Join the video call from the app a few minutes before the start.',
      'in-person': 'Please arrive a few minutes early.',
    },
    open: 'Open the appointment',
    summary: (w) => `${w.what} with ${w.other}`,
    booked: {
      subject: (w) => `Appointment booked: ${w.when}`,
      heading: 'Appointment booked',
      patient: (w) => `Your appointment with ${w.other} on ${w.when} is booked.`,
      doctor: (w) => `${w.other} booked an appointment with you on ${w.when}.`,
    },
    confirmed: {
      subject: (w) => `Appointment confirmed: ${w.when}`,
      heading: 'Appointment confirmed',
      patient: (w) => `${w.other} confirmed your appointment on ${w.when}.`,
      doctor: (w) => `Your appointment with ${w.other} on ${w.when} is confirmed.`,
    },
    cancelled: {
      subject: (w) => `Appointment cancelled: ${w.when}`,
      heading: 'Appointment cancelled',
      patient: (w) => `Your appointment with ${w.other} on ${w.when} was cancelled.`,
      doctor: (w) => `Your appointment with ${w.other} on ${w.when} was cancelled.`,
    },
    rescheduled: {
      subject: (w) => `Appointment moved to ${w.when}`,
      heading: 'Appointment rescheduled',
      patient: (w) => `Your appointment with ${w.other} was moved from ${w.previous} to ${w.when}.`,
      doctor: (w) => `Your appointment with ${w.other} was moved from ${w.previous} to ${w.when}.`,
    },
    reminder24h: {
      subject: (w) => `Reminder: appointment on ${w.when}`,
      heading: 'Appointment reminder',
      patient: (w) => `Your appointment with ${w.other} is coming up on ${w.when}.`,
      doctor: (w) => `Your appointment with ${w.other} is coming up on ${w.when}.`,
    },
    reminder1h: {
      subject: (w) => `Starting in one hour: appointment at ${w.time}`,
      heading: 'Your appointment starts in one hour',
      patient: (w) => `Your appointment with ${w.other} starts in one hour, at ${w.time}.`,
      doctor: (w) => `Your appointment with ${w.other} starts in one hour, at ${w.time}.`,
    },
  },
  medication: {
    subject: (w) => `Time for ${w.medicine} at ${w.time}`,
    heading: 'Medication reminder',
    intro: (w) =>
      w.forName
        ? `It is almost time for ${w.forName}'s dose of ${w.medicine}, at ${w.time}.`
        : `It is almost time for your dose of ${w.medicine}, at ${w.time}.`,
    labels: { medicine: 'Medicine', dose: 'Dose', time: 'Time', for: 'For' },
    note: 'Mark the dose as taken in the app, so the history stays right.',
  },
  vaccine: {
    subject: (w) => `Vaccination due ${w.today ? 'today' : 'tomorrow'}: ${w.vaccine}`,
    heading: (today) => `Vaccination due ${today ? 'today' : 'tomorrow'}`,
    intro: (w) =>
      w.forName
        ? `${w.forName}'s ${w.vaccine} vaccination is due on ${w.date}.`
        : `Your ${w.vaccine} vaccination is due on ${w.date}.`,
    labels: { vaccine: 'Vaccine', date: 'Due', for: 'For' },
    note: 'Record it in the app once it is given.',
  },
  notice: { open: 'Open' },
  caregiver: {
    someone: 'Someone',
    request: {
      subject: (w) => `${w.name} asked you to be their caregiver`,
      heading: 'New caregiver request',
      intro: (w) => `${w.name} asked you to be their caregiver. Accept or decline the request in the app.`,
    },
    accepted: {
      subject: (w) => `${w.name} is now your caregiver`,
      heading: 'Caregiver request accepted',
      intro: (w) => `${w.name} accepted your request and is now your caregiver.`,
    },
  },
  security: {
    emailChanged: {
      heading: 'Your email address was changed',
      intro: (w) =>
        `The email address of your ${w.app} account was changed to ${w.address}. This address will no longer receive account messages.`,
    },
    mobileChanged: {
      heading: 'Your mobile number was changed',
      intro: (w) => `The mobile number of your ${w.app} account was changed to ${w.address}.`,
    },
    notYou: 'If you did not make this change, reset your password and contact support right away.',
  },
  receipt: {
    subject: (w) => `Your receipt ${w.number} from ${w.clinic}`,
    heading: 'Thank you for your payment',
    intro: (w) => `We received your payment of ${w.amount} to ${w.clinic} for ${w.description}.`,
    labels: { number: 'Receipt number', paid: 'Paid', amount: 'Amount', method: 'Payment method' },
    attached: 'Your receipt is attached as a PDF. Keep it for your records.',
  },
};
