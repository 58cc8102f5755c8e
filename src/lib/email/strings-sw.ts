import type { Strings } from './strings';

/**
 * Swahili (Kiswahili): an official language of Kenya, where the home-care service is designed, and of
 * Tanzania and Uganda; written in Latin script, so every mail client shows it with its own fonts.
 */
export const SW: Strings = {
  footer: (app) => [
    `Unapokea barua pepe hii kwa sababu una akaunti ya ${app}.`,
    'Huu ni ujumbe wa kiotomatiki; majibu hayasomwi.',
  ],
  code: {
    headings: {
      'verify-email': 'Thibitisha barua pepe yako',
      'change-email': 'Thibitisha barua pepe yako mpya',
      'change-mobile': 'Thibitisha nambari yako mpya',
      'account-deletion': 'Thibitisha kufuta akaunti',
      invitation: 'Umealikwa',
      'sign-in': 'Msimbo wako wa kuingia',
      'two-factor': 'Msimbo wako wa uthibitisho',
      security: 'Msimbo wako wa usalama',
    },
    intro: (app) => `Msimbo wako wa ${app} ni`,
    expiry: (minutes) => `Muda wake unaisha baada ya dakika ${minutes}. Ikiwa hukuuomba, puuza barua pepe hii.`,
  },
  passwordReset: {
    heading: 'Weka upya nenosiri lako',
    intro: (app) => `Msimbo wako wa ${app} wa kuchagua nenosiri jipya ni`,
    expiry: (minutes) =>
      `Muda wake unaisha baada ya dakika ${minutes}. Ikiwa hukuomba kuweka upya nenosiri, puuza barua pepe hii: nenosiri lako halitabadilika.`,
  },
  welcome: {
    heading: (app) => `Karibu ${app}`,
    greeting: (name) => (name ? `Habari ${name},` : 'Habari,'),
    body: 'Akaunti yako iko tayari. Unaweza kuweka miadi na madaktari, kufuatilia dawa na chanjo zako, na kusimamia huduma za afya za familia yako, mahali pamoja.',
    open: (app) => `Fungua ${app}`,
  },
  appointment: {
    labels: { when: 'Lini', with: 'Na', service: 'Huduma', type: 'Aina', previously: 'Awali' },
    kinds: { video: 'Mashauriano kwa video', 'in-person': 'Ziara ya ana kwa ana' },
    doctor: (name) => (!name ? 'daktari wako' : /^(dr|dkt)\.?\s/i.test(name) ? name : `Dkt. ${name}`),
    patient: (name) => name ?? 'mgonjwa',
    pendingPatient: 'Kliniki itaithibitisha; tutakutumia barua pepe itakapothibitishwa.',
    pendingDoctor: 'Ithibitishe au uikatae kwenye programu.',
    cancelledBy: {
      patient: 'Imeghairiwa na mgonjwa.',
      doctor: 'Imeghairiwa na daktari.',
      practice: 'Imeghairiwa na kliniki.',
    },
    calendar: 'Faili ya kalenda iliyoambatishwa (.ics) inasasisha miadi hii kwenye kalenda yako.',
    arrive: {
      video: 'Jiunge na simu ya video kupitia programu dakika chache kabla ya kuanza.',
      'in-person': 'Tafadhali fika dakika chache mapema.',
    },
    open: 'Fungua miadi',
    summary: (w) => `${w.what} na ${w.other}`,
    booked: {
      subject: (w) => `Miadi imewekwa: ${w.when}`,
      heading: 'Miadi imewekwa',
      patient: (w) => `Miadi yako na ${w.other} ya ${w.when} imewekwa.`,
      doctor: (w) => `${w.other} ameweka miadi nawe ya ${w.when}.`,
    },
    confirmed: {
      subject: (w) => `Miadi imethibitishwa: ${w.when}`,
      heading: 'Miadi imethibitishwa',
      patient: (w) => `${w.other} amethibitisha miadi yako ya ${w.when}.`,
      doctor: (w) => `Miadi yako na ${w.other} ya ${w.when} imethibitishwa.`,
    },
    cancelled: {
      subject: (w) => `Miadi imeghairiwa: ${w.when}`,
      heading: 'Miadi imeghairiwa',
      patient: (w) => `Miadi yako na ${w.other} ya ${w.when} imeghairiwa.`,
      doctor: (w) => `Miadi yako na ${w.other} ya ${w.when} imeghairiwa.`,
    },
    rescheduled: {
      subject: (w) => `Miadi imehamishwa hadi ${w.when}`,
      heading: 'Muda wa miadi umebadilishwa',
      patient: (w) => `Miadi yako na ${w.other} imehamishwa kutoka ${w.previous} hadi ${w.when}.`,
      doctor: (w) => `Miadi yako na ${w.other} imehamishwa kutoka ${w.previous} hadi ${w.when}.`,
    },
    reminder24h: {
      subject: (w) => `Kikumbusho: miadi ya ${w.when}`,
      heading: 'Kikumbusho cha miadi',
      patient: (w) => `Miadi yako na ${w.other} inakaribia: ${w.when}.`,
      doctor: (w) => `Miadi yako na ${w.other} inakaribia: ${w.when}.`,
    },
    reminder1h: {
      subject: (w) => `Inaanza baada ya saa moja: miadi ya ${w.time}`,
      heading: 'Miadi yako inaanza baada ya saa moja',
      patient: (w) => `Miadi yako na ${w.other} inaanza baada ya saa moja, ${w.time}.`,
      doctor: (w) => `Miadi yako na ${w.other} inaanza baada ya saa moja, ${w.time}.`,
    },
  },
  medication: {
    subject: (w) => `Wakati wa ${w.medicine}: ${w.time}`,
    heading: 'Kikumbusho cha dawa',
    intro: (w) =>
      w.forName
        ? `Wakati wa ${w.forName} kutumia ${w.medicine} unakaribia: ${w.time}.`
        : `Wakati wa kutumia ${w.medicine} unakaribia: ${w.time}.`,
    labels: { medicine: 'Dawa', dose: 'Kipimo', time: 'Saa', for: 'Kwa ajili ya' },
    note: 'Weka alama kwenye programu kuwa dozi imetumika, ili historia iwe sahihi.',
  },
  vaccine: {
    subject: (w) => `Chanjo inatakiwa ${w.today ? 'leo' : 'kesho'}: ${w.vaccine}`,
    heading: (today) => `Chanjo inatakiwa ${today ? 'leo' : 'kesho'}`,
    intro: (w) =>
      w.forName
        ? `Chanjo ya ${w.vaccine} kwa ${w.forName} inatakiwa ${w.date}.`
        : `Chanjo yako ya ${w.vaccine} inatakiwa ${w.date}.`,
    labels: { vaccine: 'Chanjo', date: 'Tarehe', for: 'Kwa ajili ya' },
    note: 'Iandike kwenye programu baada ya kuchanjwa.',
  },
  notice: { open: 'Fungua' },
  caregiver: {
    someone: 'Mtu fulani',
    request: {
      subject: (w) => `${w.name} amekuomba uwe mlezi wake`,
      heading: 'Ombi jipya la mlezi',
      intro: (w) => `${w.name} amekuomba uwe mlezi wake. Kubali au kataa ombi hilo kwenye programu.`,
    },
    accepted: {
      subject: (w) => `${w.name} sasa ni mlezi wako`,
      heading: 'Ombi la mlezi limekubaliwa',
      intro: (w) => `${w.name} amekubali ombi lako na sasa ni mlezi wako.`,
    },
  },
  security: {
    emailChanged: {
      heading: 'Barua pepe yako imebadilishwa',
      intro: (w) =>
        `Barua pepe ya akaunti yako ya ${w.app} imebadilishwa kuwa ${w.address}. Anwani hii haitapokea tena ujumbe wa akaunti.`,
    },
    mobileChanged: {
      heading: 'Nambari yako ya simu imebadilishwa',
      intro: (w) => `Nambari ya simu ya akaunti yako ya ${w.app} imebadilishwa kuwa ${w.address}.`,
    },
    notYou: 'Ikiwa hukufanya mabadiliko haya, weka upya nenosiri lako na uwasiliane na huduma kwa wateja mara moja.',
  },
  receipt: {
    subject: (w) => `Risiti yako ${w.number} kutoka ${w.clinic}`,
    heading: 'Asante kwa malipo yako',
    intro: (w) => `Tumepokea malipo yako ya ${w.amount} kwa ${w.clinic} kwa ajili ya ${w.description}.`,
    labels: { number: 'Nambari ya risiti', paid: 'Imelipwa', amount: 'Kiasi', method: 'Njia ya malipo' },
    attached: 'Risiti yako imeambatishwa kama PDF. Iweke kwa kumbukumbu zako.',
  },
};
