import { adminWith, PUBLIC, type RoutePolicy, roles, signedIn } from './policy';

/**
 * The one policy table: every route's operationId → who may call it. A route whose operationId is
 * missing here does not compile (`defineRoute` takes `OperationId`), and test/access/route-walk.test.ts
 * walks the OpenAPI registry to prove every route has an entry and refuses anonymous callers.
 */
/**
 * A doctor managing their own practice (also while awaiting verification, to set it up), or an admin
 * doing it for them; the service checks which doctor (src/modules/doctors/doctor-access.ts).
 */
const DOCTOR_OR_ADMIN: RoutePolicy = {
  kind: 'signed-in',
  roles: ['doctor', 'admin', 'superadmin'],
  allowPending: true,
};

/**
 * Appointment attachments are medical documents: the patient, the doctor, and among staff only admins
 * holding the appointment-manager sub-role (and superadmins). Receptionists schedule, they do not read
 * clinical files.
 */
const APPOINTMENT_FILES: RoutePolicy = {
  kind: 'signed-in',
  roles: ['user', 'doctor', 'admin', 'superadmin'],
  subRoles: ['appointment-manager'],
};

export const ROUTE_POLICIES = {
  // system
  'system.health': PUBLIC,
  'system.openapi': PUBLIC,
  'system.docs': PUBLIC,
  'dev.outbox.list': PUBLIC,
  'dev.outbox.view': PUBLIC,
  // dev: local checkout (404 unless payments run on the local provider outside production)
  'dev.checkout.view': PUBLIC,
  'dev.checkout.pay': PUBLIC,
  'dev.checkout.cancel': PUBLIC,
  'dev.checkout.expire': PUBLIC,
  'dev.checkout.return': PUBLIC,

  // auth: sign-in (public) and account security (signed in, also while awaiting verification)
  'auth.register': PUBLIC,
  'auth.verifyEmail': PUBLIC,
  'auth.verifyEmail.resend': PUBLIC,
  'auth.login': PUBLIC,
  'auth.otp.send': PUBLIC,
  'auth.otp.verify': PUBLIC,
  'auth.google': PUBLIC,
  'auth.facebook': PUBLIC,
  'auth.refresh': PUBLIC,
  'auth.logout': signedIn({ allowPending: true }),
  'auth.logoutAll': signedIn({ allowPending: true }),
  'auth.password.forgot': PUBLIC,
  'auth.password.reset': PUBLIC,
  'auth.password.change': signedIn({ allowPending: true }),
  'auth.password.set': signedIn({ allowPending: true }),
  'auth.password.remove': signedIn({ allowPending: true }),
  'auth.sessions.list': signedIn({ allowPending: true }),
  'auth.sessions.revoke': signedIn({ allowPending: true }),
  'auth.2fa.status': signedIn({ allowPending: true }),
  'auth.2fa.verify': PUBLIC,
  'auth.2fa.email.send': PUBLIC,
  'auth.2fa.passkey.options': PUBLIC,
  'auth.2fa.totp.setup': signedIn({ allowPending: true }),
  'auth.2fa.totp.enable': signedIn({ allowPending: true }),
  'auth.2fa.email.setup': signedIn({ allowPending: true }),
  'auth.2fa.email.enable': signedIn({ allowPending: true }),
  'auth.2fa.passkey.enable': signedIn({ allowPending: true }),
  'auth.2fa.disable': signedIn({ allowPending: true }),
  'auth.2fa.recoveryCodes': signedIn({ allowPending: true }),
  'auth.passkeys.register.options': signedIn({ allowPending: true }),
  'auth.passkeys.register.verify': signedIn({ allowPending: true }),
  'auth.passkeys.authenticate.options': PUBLIC,
  'auth.passkeys.authenticate.verify': PUBLIC,
  'auth.passkeys.list': signedIn({ allowPending: true }),
  'auth.passkeys.delete': signedIn({ allowPending: true }),

  // users: own account (also while awaiting verification)
  'users.me.get': signedIn({ allowPending: true }),
  'users.me.update': signedIn({ allowPending: true }),
  'users.me.delete': signedIn({ allowPending: true }),
  'users.me.deletionCode': signedIn({ allowPending: true }),
  'users.me.email.change': signedIn({ allowPending: true }),
  'users.me.email.confirm': signedIn({ allowPending: true }),
  'users.me.mobile.change': signedIn({ allowPending: true }),
  'users.me.mobile.confirm': signedIn({ allowPending: true }),
  'users.me.emergencyContacts.list': signedIn({ allowPending: true }),
  'users.me.emergencyContacts.create': signedIn({ allowPending: true }),
  'users.me.emergencyContacts.update': signedIn({ allowPending: true }),
  'users.me.emergencyContacts.delete': signedIn({ allowPending: true }),
  'users.me.avatar.upload': signedIn({ allowPending: true }),
  'users.me.avatar.delete': signedIn({ allowPending: true }),
  'users.avatar.url': signedIn({ allowPending: true }),
  'avatars.get': PUBLIC,
  'users.me.devices.list': signedIn({ allowPending: true }),
  'users.me.devices.register': signedIn({ allowPending: true }),
  'users.me.devices.delete': signedIn({ allowPending: true }),
  'users.me.notificationPreferences.get': signedIn({ allowPending: true }),
  'users.me.notificationPreferences.update': signedIn({ allowPending: true }),
  'dependents.list': signedIn({ allowPending: true }),
  'dependents.create': signedIn({ allowPending: true }),
  'dependents.get': signedIn({ allowPending: true }),
  'dependents.update': signedIn({ allowPending: true }),
  'dependents.delete': signedIn({ allowPending: true }),

  // health catalog: supplements and vaccines (everyone signed in reads, admins write)
  'supplements.list': signedIn(),
  'supplements.get': signedIn(),
  'supplements.create': roles('admin', 'superadmin'),
  'supplements.update': roles('admin', 'superadmin'),
  'supplements.delete': roles('admin', 'superadmin'),
  'supplements.bulkDelete': roles('admin', 'superadmin'),
  'supplements.import': roles('admin', 'superadmin'),
  'supplements.stock.adjust': roles('admin', 'superadmin'),
  'supplements.stock.movements': roles('admin', 'superadmin'),
  'vaccines.list': signedIn(),
  'vaccines.get': signedIn(),
  'vaccines.create': roles('admin', 'superadmin'),
  'vaccines.update': roles('admin', 'superadmin'),
  'vaccines.delete': roles('admin', 'superadmin'),
  'vaccines.bulkDelete': roles('admin', 'superadmin'),
  'vaccines.import': roles('admin', 'superadmin'),
  'vaccines.stock.adjust': roles('admin', 'superadmin'),
  'vaccines.stock.movements': roles('admin', 'superadmin'),

  // personal schedules and doses (own rows only)
  'schedules.list': signedIn(),
  'schedules.create': signedIn(),
  'schedules.get': signedIn(),
  'schedules.update': signedIn(),
  'schedules.delete': signedIn(),
  'schedules.pause': signedIn(),
  'schedules.resume': signedIn(),
  'doses.list': signedIn(),
  'doses.history': signedIn(),
  'doses.take': signedIn(),
  'doses.skip': signedIn(),
  // the schedule bot: anyone with schedules; a conversation is its owner's only (checked in the service)
  'bot.chat': signedIn(),
  'bot.conversations.list': signedIn(),
  'bot.conversations.get': signedIn(),
  'bot.conversations.delete': signedIn(),
  'vaccineSchedules.list': signedIn(),
  'vaccineSchedules.create': signedIn(),
  'vaccineSchedules.get': signedIn(),
  'vaccineSchedules.update': signedIn(),
  'vaccineSchedules.delete': signedIn(),
  'vaccineSchedules.administer': signedIn(),
  'vaccineSchedules.activate': signedIn(),
  'vaccineSchedules.deactivate': signedIn(),

  // telemedicine: doctor directory (public), doctor self-service (or admins for them)
  'specializations.list': PUBLIC,
  'specializations.create': roles('admin', 'superadmin'),
  'specializations.update': roles('admin', 'superadmin'),
  'specializations.delete': roles('admin', 'superadmin'),
  'doctors.list': PUBLIC,
  'doctors.get': PUBLIC,
  'doctors.photo': PUBLIC,
  'doctors.slots': PUBLIC,
  'doctors.profile.get': DOCTOR_OR_ADMIN,
  'doctors.profile.update': DOCTOR_OR_ADMIN,
  'doctors.services.create': DOCTOR_OR_ADMIN,
  'doctors.services.update': DOCTOR_OR_ADMIN,
  'doctors.services.delete': DOCTOR_OR_ADMIN,
  'doctors.availability.get': DOCTOR_OR_ADMIN,
  'doctors.availability.update': DOCTOR_OR_ADMIN,
  'doctors.timeOff.list': DOCTOR_OR_ADMIN,
  'doctors.timeOff.create': DOCTOR_OR_ADMIN,
  'doctors.timeOff.delete': DOCTOR_OR_ADMIN,
  'doctors.timeOff.affected': DOCTOR_OR_ADMIN,
  'doctors.specialHours.list': DOCTOR_OR_ADMIN,
  'doctors.specialHours.set': DOCTOR_OR_ADMIN,
  'doctors.specialHours.delete': DOCTOR_OR_ADMIN,
  'doctors.unavailability.set': DOCTOR_OR_ADMIN,
  'doctors.unavailability.clear': DOCTOR_OR_ADMIN,

  // appointments: patients book their own; staff book for patients and run the front desk. Which
  // appointment a caller may touch (own as patient or doctor, any as staff) is checked per row in
  // src/modules/appointments/appointment-access.ts; others' rows are 404.
  // payments: checkout and webhooks
  'payments.checkout': roles('user', 'receptionist', 'admin', 'superadmin'),
  'payments.ofAppointment': signedIn(),
  'webhooks.stripe': PUBLIC,

  'appointments.holds.create': roles('user', 'receptionist', 'admin', 'superadmin'),
  'appointments.holds.get': roles('user', 'receptionist', 'admin', 'superadmin'),
  'appointments.holds.release': roles('user', 'receptionist', 'admin', 'superadmin'),
  'appointments.book': roles('user', 'receptionist', 'admin', 'superadmin'),
  'appointments.reschedule': roles('user', 'doctor', 'receptionist', 'admin', 'superadmin'),
  'appointments.rebookingOptions': roles('user', 'doctor', 'receptionist', 'admin', 'superadmin'),
  'appointments.rebook': roles('user', 'doctor', 'receptionist', 'admin', 'superadmin'),
  'appointments.list': roles('user', 'doctor'),
  'appointments.staff.list': roles('receptionist', 'admin', 'superadmin'),
  'appointments.get': roles('user', 'doctor', 'receptionist', 'admin', 'superadmin'),
  'appointments.history': roles('user', 'doctor', 'receptionist', 'admin', 'superadmin'),
  'appointments.cancellationQuote': roles('user', 'doctor', 'receptionist', 'admin', 'superadmin'),
  'appointments.confirm': roles('doctor', 'receptionist', 'admin', 'superadmin'),
  'appointments.reject': roles('doctor', 'receptionist', 'admin', 'superadmin'),
  'appointments.cancel': roles('user', 'doctor', 'receptionist', 'admin', 'superadmin'),
  'appointments.start': roles('doctor'),
  'appointments.complete': roles('doctor'),
  'appointments.noShow': roles('doctor'),
  'appointments.followUps.create': roles('doctor', 'receptionist', 'admin', 'superadmin'),
  'appointments.attachments.add': roles('user', 'receptionist', 'admin', 'superadmin'),
  'appointments.attachments.list': APPOINTMENT_FILES,
  'appointments.attachments.download': APPOINTMENT_FILES,
  'appointments.ics': roles('user', 'doctor', 'receptionist', 'admin', 'superadmin'),
  'appointments.notes.list': roles('doctor'),
  'appointments.notes.create': roles('doctor'),
  'appointments.notes.update': roles('doctor'),
  // prescriptions: the appointment's doctor writes, changes and withdraws them; the patient reads and
  // accepts theirs. Which prescription a caller may touch (own as patient, written as doctor) is checked
  // per row in src/modules/prescriptions/prescriptions.service.ts; others' rows are 404. A caregiver (or
  // anyone) reads one while the patient grants them their whole record (medical-record grants).
  'prescriptions.create': roles('doctor'),
  'prescriptions.list': roles('user', 'doctor'),
  'prescriptions.get': roles('user', 'doctor', 'caregiver'),
  'prescriptions.pdf': roles('user', 'doctor', 'caregiver'),
  'prescriptions.update': roles('doctor'),
  'prescriptions.delete': roles('doctor'),
  'prescriptions.accept': roles('user'),
  'calendar.feed.get': signedIn(),
  'calendar.feed.create': signedIn(),
  'calendar.feed.revoke': signedIn(),
  'calendar.feed.ics': PUBLIC,

  // real time: the ticket needs a token; the upgrade authenticates itself (subprotocol or ticket)
  // before reaching the hub, so its table entry is public and src/realtime/realtime.routes.ts refuses
  // anonymous upgrades with 401.
  'realtime.ticket': signedIn({ allowPending: true }),
  'realtime.connect': PUBLIC,
  // Like realtime.connect: authenticated by the route itself (subprotocol or ticket) before joinRoom.
  'calls.connect': PUBLIC,
  'careSessions.call.connect': PUBLIC,

  // caregiver network: patients and (verified) caregivers; relationship checks per row in the service
  'caregivers.requests.send': roles('user', 'caregiver'),
  'caregivers.requests.pending': roles('user', 'caregiver'),
  'caregivers.requests.updateStatus': roles('user', 'caregiver'),
  'caregivers.suggestions': roles('user', 'caregiver'),
  'caregivers.myCaregivers': roles('user', 'caregiver'),
  'caregivers.iCareFor': roles('user', 'caregiver'),
  'caregivers.myCaregivers.remove': roles('user', 'caregiver'),
  'caregivers.iCareFor.remove': roles('user', 'caregiver'),
  'caregivers.patient.overview': roles('user', 'caregiver'),
  'caregivers.notes.list': roles('user', 'caregiver'),
  'caregivers.notes.create': roles('user', 'caregiver'),
  'caregivers.notes.file': roles('user', 'caregiver'),

  // care profiles: the managed specialties (public list, admins curate); a caregiver's own profile (also
  // while awaiting verification, to set it up) or an admin's, checked in the service; public search
  'careSpecialties.list': PUBLIC,
  'careSpecialties.create': roles('admin', 'superadmin'),
  'careSpecialties.update': roles('admin', 'superadmin'),
  'careSpecialties.delete': roles('admin', 'superadmin'),
  'caregivers.search': PUBLIC,
  'caregivers.profile.get': { kind: 'signed-in', roles: ['caregiver', 'admin', 'superadmin'], allowPending: true },
  'caregivers.profile.update': { kind: 'signed-in', roles: ['caregiver', 'admin', 'superadmin'], allowPending: true },
  'caregivers.recommendations.create': roles('doctor'),
  'caregivers.recommendations.mine': roles('user'),
  'admin.caregivers.verificationQueue': roles('admin', 'superadmin'),
  'admin.caregivers.reject': roles('admin', 'superadmin'),
  // care sessions: caregivers set availability (pending ones too, to be ready when verified); anyone
  // reads a bookable caregiver's slots; patients and linked family or carers book; the caregiver, the
  // patient side and admins act per row in src/modules/care-sessions/ (others 404)
  'careSessions.availability.get': { kind: 'signed-in', roles: ['caregiver'], allowPending: true },
  'careSessions.availability.set': { kind: 'signed-in', roles: ['caregiver'], allowPending: true },
  'careSessions.slots': PUBLIC,
  'careSessions.book': roles('user', 'caregiver'),
  'careSessions.list': roles('user', 'caregiver', 'admin', 'superadmin'),
  'careSessions.get': roles('user', 'caregiver', 'admin', 'superadmin'),
  'careSessions.checkout': roles('user', 'caregiver', 'admin', 'superadmin'),
  'careSessions.confirm': roles('caregiver'),
  'careSessions.decline': roles('caregiver'),
  'careSessions.cancel': roles('user', 'caregiver', 'admin', 'superadmin'),
  'careSessions.checkIn': roles('caregiver'),
  'careSessions.checkOut': roles('caregiver'),
  'careSessions.noShow': roles('caregiver'),
  // session reviews: by the session's patient (checked in the service, others 404); the list is public
  'careSessions.review.create': roles('user'),
  'caregivers.reviews': PUBLIC,

  // reviews: patients review their completed visits (row checks in the service: their own appointment,
  // their own review, the reviewed doctor); anyone signed in may flag; admins moderate; the list is public
  'reviews.create': roles('user'),
  'reviews.update': roles('user'),
  'reviews.flag': signedIn(),
  'reviews.appeal': roles('user'),
  'reviews.reply': roles('doctor'),
  'admin.reviews.list': roles('admin', 'superadmin'),
  // admin numbers (src/modules/stats): the dashboard and the usage, wellness and home-care tables
  'admin.dashboard': roles('admin', 'superadmin'),
  'admin.stats.usage': roles('admin', 'superadmin'),
  'admin.stats.wellness': roles('admin', 'superadmin'),
  'admin.stats.homeCare': roles('admin', 'superadmin'),
  'admin.reviews.hide': roles('admin', 'superadmin'),
  'admin.reviews.restore': roles('admin', 'superadmin'),
  'doctors.reviews': PUBLIC,
  'reviews.photo': PUBLIC,

  // support: any signed-in account opens and follows its own tickets; support agents (and superadmins) handle them
  'support.tickets.open': signedIn(),
  'support.tickets.list': signedIn(),
  'support.tickets.get': signedIn(),
  'support.tickets.message': signedIn(),
  'support.tickets.reopen': signedIn(),
  'support.tickets.file': signedIn(),
  'admin.support.list': adminWith('support-agent'),
  'admin.support.get': adminWith('support-agent'),
  'admin.support.message': adminWith('support-agent'),
  'admin.support.assign': adminWith('support-agent'),
  'admin.support.status': adminWith('support-agent'),
  'admin.support.file': adminWith('support-agent'),

  // waitlist: patients join for themselves, receptionists and admins for a patient (row checks in the service:
  // another's entry or offer 404); a doctor's waitlist for the doctor (own only) and staff
  'waitlist.create': roles('user', 'receptionist', 'admin', 'superadmin'),
  'waitlist.list': roles('user'),
  'waitlist.get': roles('user', 'doctor', 'receptionist', 'admin', 'superadmin'),
  'waitlist.leave': roles('user', 'receptionist', 'admin', 'superadmin'),
  'waitlist.offers.decline': roles('user', 'receptionist', 'admin', 'superadmin'),
  'doctors.waitlist': roles('doctor', 'receptionist', 'admin', 'superadmin'),

  // calls (video visits): ICE servers for anyone signed in; invitations by the appointment's doctor; what a
  // call left (summary, chat, recordings) for its patient and doctor; uploads by whoever started the
  // recording (row checks in the service; anyone else 404)
  'calls.iceServers': signedIn(),
  'calls.invitations.create': roles('doctor'),
  'calls.invitations.list': roles('doctor'),
  'calls.invitations.revoke': roles('doctor'),
  'calls.summary': signedIn(),
  'calls.messages': signedIn(),
  'calls.recordings.upload': signedIn(),
  'calls.recordings.part': signedIn(),
  'calls.recordings.complete': signedIn(),
  'calls.recordings.download': signedIn(),

  // admin: people management (admins and superadmins; guards in src/modules/admin/admin.policy.ts)
  'admin.users.list': roles('admin', 'superadmin'),
  'admin.users.get': roles('admin', 'superadmin'),
  'admin.users.create': roles('admin', 'superadmin'),
  'admin.users.status': roles('admin', 'superadmin'),
  'admin.users.verify': roles('admin', 'superadmin'),
  'admin.users.subRoles': roles('admin', 'superadmin'),
  'admin.users.logout': roles('admin', 'superadmin'),
  'admin.users.delete': roles('admin', 'superadmin'),
  'admin.users.bulk': roles('admin', 'superadmin'),

  // notifications: the own inbox (also while awaiting verification); delivery and announcements (admins)
  'notifications.list': signedIn({ allowPending: true }),
  'notifications.unreadCount': signedIn({ allowPending: true }),
  'notifications.read': signedIn({ allowPending: true }),
  'notifications.readAll': signedIn({ allowPending: true }),
  'notifications.delete': signedIn({ allowPending: true }),
  'admin.deliveries.list': roles('admin', 'superadmin'),
  'admin.deliveries.redrive': roles('admin', 'superadmin'),
  'admin.notifications.broadcast': roles('admin', 'superadmin'),
  // Signed by Twilio instead of a token: the route checks X-Twilio-Signature itself.
  'webhooks.twilio.smsStatus': PUBLIC,

  // superadmin: admins, system configuration and feature flags
  'superadmin.admins.list': roles('superadmin'),
  'superadmin.admins.approve': roles('superadmin'),
  'superadmin.admins.reject': roles('superadmin'),
  'superadmin.admins.block': roles('superadmin'),
  'superadmin.admins.unblock': roles('superadmin'),
  'superadmin.admins.grant': roles('superadmin'),
  'superadmin.admins.revoke': roles('superadmin'),
  'superadmin.settings.list': roles('superadmin'),
  'superadmin.settings.update': roles('superadmin'),
  'settings.public': PUBLIC,

  // files
  'files.upload': signedIn({ allowPending: true }),
  'files.list': signedIn({ allowPending: true }),
  'files.get': signedIn({ allowPending: true }),
  'files.content': signedIn({ allowPending: true }),
  'files.delete': signedIn({ allowPending: true }),

  // payments: history, receipts, export. Which payment a caller sees (own as payer or payee, any as
  // admin) is checked per row in src/modules/payments/payment-access.ts; others' rows are 404.
  'payments.list': roles('user', 'doctor', 'admin', 'superadmin'),
  'payments.get': roles('user', 'doctor', 'admin', 'superadmin'),
  'payments.earnings': roles('doctor', 'admin', 'superadmin'),
  'payments.receipt.html': roles('user', 'doctor', 'admin', 'superadmin'),
  'payments.receipt.pdf': roles('user', 'doctor', 'admin', 'superadmin'),
  'admin.payments.export': adminWith('appointment-manager'),

  // medical records: who may open which record (the patient, their doctor within the window, a live
  // grant, emergency access) is checked per row in src/modules/medical-records/record-access.ts;
  // others' records are 404. Emergency access is for verified doctors; its review for admins.
  'medicalRecords.get': signedIn(),
  'medicalRecords.replace': signedIn(),
  'medicalRecords.update': signedIn(),
  'medicalRecords.versions.list': signedIn(),
  'medicalRecords.versions.get': signedIn(),
  'medicalRecords.documents.list': signedIn(),
  'medicalRecords.documents.download': signedIn(),
  'medicalRecords.documents.add': signedIn(),
  'medicalRecords.accessLog': signedIn(),
  'medicalRecords.emergencyAccess': roles('doctor'),
  'recordGrants.create': signedIn(),
  'recordGrants.list': signedIn(),
  'recordGrants.revoke': signedIn(),
  'admin.emergencyAccess.list': roles('admin', 'superadmin'),
  'admin.emergencyAccess.review': roles('admin', 'superadmin'),

  // care reports: filed and changed by a caregiver linked to the patient (checked per row in
  // src/modules/care-reports/, others 404); read by the patient, linked caregivers and their doctors
  // (src/modules/care-reports/care-access.ts); alerts for admins.
  'careReports.create': roles('caregiver'),
  'careReports.update': roles('caregiver'),
  'careReports.list': signedIn(),
  'careReports.status': signedIn(),
  'careReports.versions': signedIn(),
  'admin.careAlerts.list': roles('admin', 'superadmin'),
  'admin.careAlerts.acknowledge': roles('admin', 'superadmin'),

  // audit
  'audit.events.list': roles('superadmin'),

  // payments: refunds (admins handling appointments' money, and superadmins; a second admin approves
  // large ones: src/modules/payments/refund-requests.service.ts)
  'admin.payments.refunds.create': adminWith('appointment-manager'),
  'admin.refunds.list': adminWith('appointment-manager'),
  'admin.refunds.approve': adminWith('appointment-manager'),
  'admin.refunds.reject': adminWith('appointment-manager'),

  // voice: Twilio calls (signed by Twilio instead of a token: the routes check X-Twilio-Signature),
  // the call log for admins, and masked calls by the appointment's doctor
  'webhooks.twilio.voice': PUBLIC,
  'webhooks.twilio.voiceStatus': PUBLIC,
  'webhooks.twilio.voiceBridge': PUBLIC,
  'admin.phoneCalls.list': roles('admin', 'superadmin'),
  'appointments.phoneCall': roles('doctor'),

  // wellness: health scores, goals and feedback are the caller's own (others' rows 404 in the
  // service); content managers propose goal templates; admins read and delete feedback
  'wellness.scores.trends': signedIn(),
  'wellness.scores.record': signedIn(),
  'wellness.scores.get': signedIn(),
  'wellness.scores.list': signedIn(),
  'wellness.scores.delete': signedIn(),
  'wellness.goals.create': signedIn(),
  'wellness.goals.list': signedIn(),
  'wellness.goals.get': signedIn(),
  'wellness.goals.progress': signedIn(),
  'wellness.goals.status': signedIn(),
  'wellness.goalTemplates.list': signedIn(),
  'wellness.goalTemplates.use': signedIn(),
  'admin.wellness.goalTemplates.create': adminWith('content-manager'),
  'admin.wellness.goalTemplates.delete': adminWith('content-manager'),
  'wellness.feedback.create': signedIn(),
  'admin.wellness.feedback.list': roles('admin', 'superadmin'),
  'admin.wellness.feedback.delete': roles('admin', 'superadmin'),
  // quizzes: content managers write questions and quizzes; users read published quizzes and their own
  // attempts (others' attempts 404 in the service).
  'admin.wellness.quizQuestions.create': adminWith('content-manager'),
  'admin.wellness.quizQuestions.list': adminWith('content-manager'),
  'admin.wellness.quizzes.create': adminWith('content-manager'),
  'admin.wellness.quizzes.list': adminWith('content-manager'),
  'admin.wellness.quizzes.get': adminWith('content-manager'),
  'admin.wellness.quizzes.update': adminWith('content-manager'),
  'admin.wellness.quizzes.status': adminWith('content-manager'),
  'wellness.quizzes.list': signedIn(),
  'wellness.quizzes.get': signedIn(),
  'wellness.quizzes.start': signedIn(),
  'wellness.quizzes.history': signedIn(),
  'wellness.quizAttempts.submit': signedIn(),
  'wellness.quizAttempts.get': signedIn(),
  // content hub: everyone reads published items (no token); admins with the content-manager sub-role
  // (and superadmins) write, schedule and see every status
  'content.list': PUBLIC,
  'content.get': PUBLIC,
  'content.file': PUBLIC,
  'content.categories.list': PUBLIC,
  'admin.content.categories.create': adminWith('content-manager'),
  'admin.content.categories.delete': adminWith('content-manager'),
  'admin.content.create': adminWith('content-manager'),
  'admin.content.list': adminWith('content-manager'),
  'admin.content.get': adminWith('content-manager'),
  'admin.content.update': adminWith('content-manager'),
  'admin.content.status': adminWith('content-manager'),
  'admin.content.versions': adminWith('content-manager'),
  // role dashboards: each role its own (the caller's own data; receptionists see the whole practice)
  'dashboards.doctor': roles('doctor'),
  'dashboards.receptionist': roles('receptionist'),
  'dashboards.caregiver': roles('caregiver'),
  'dashboards.patient': roles('user'),
  // live-state tables of the admin dashboards
  'dashboards.inventory': roles('admin', 'superadmin'),
  'dashboards.vaccineCalendar': roles('admin', 'superadmin'),
  'dashboards.careStatus': roles('admin', 'superadmin'),
} as const satisfies Record<string, RoutePolicy>;

export type OperationId = keyof typeof ROUTE_POLICIES;
