// The demo's people and clients: a Russian sales floor (names and phone labels as a Russian CRM holds
// them). The logins are public on purpose: the demo's login page lists them (src/demo/routes.ts).

export const DEMO_PASSWORD = 'demo-password';

export const DEMO_USERS = [
  // Mobiles: the sandbox's follow-me rings them through its outside line (sandbox/asterisk/followme.conf).
  { name: 'anna', role: 'manager', extension: '101', mobile: '+79160000101' },
  { name: 'boris', role: 'manager', extension: '102', mobile: '+79160000102' },
  { name: 'olga', role: 'manager', extension: '103', mobile: '+79160000103' },
  // The sandbox's phone 198 never answers: denis collects missed calls and callback tasks.
  { name: 'denis', role: 'manager', extension: '198', mobile: null },
  { name: 'sveta', role: 'supervisor', extension: null, mobile: null },
  { name: 'admin', role: 'admin', extension: null, mobile: null },
] as const;

export interface DemoClient {
  ext: string;
  name: string;
  turnover: number;
  owner: string | null;
  /** The number the demo calls from; the first contact's work phone. */
  phone: string;
  contacts: { name: string; phones: { number: string; label: string }[] }[];
}

/** Demo clients: routing sends their calls to the owner, the prior manager or by turnover. */
export const DEMO_CLIENTS: readonly DemoClient[] = [
  {
    ext: 'demo-romashka', name: 'ООО «Ромашка»', turnover: 2_000, owner: 'anna', phone: '+79160000001',
    contacts: [
      { name: 'Ирина Соколова', phones: [{ number: '+79160000001', label: 'рабочий' }, { number: '+79261110001', label: 'мобильный' }] },
      { name: 'Андрей Морозов', phones: [{ number: '+79261110011', label: 'мобильный' }] },
    ],
  },
  {
    ext: 'demo-vector', name: 'АО «Вектор Опт»', turnover: 250_000, owner: null, phone: '+79160000002',
    contacts: [{ name: 'Сергей Кузнецов', phones: [{ number: '+79160000002', label: 'рабочий' }, { number: '+79261110002', label: 'мобильный' }] }],
  },
  {
    ext: 'demo-lotus', name: 'ООО «Лотос Трейд»', turnover: 40_000, owner: 'boris', phone: '+79160000003',
    contacts: [{ name: 'Мария Лебедева', phones: [{ number: '+79160000003', label: 'рабочий' }] }],
  },
  {
    ext: 'demo-smirnova', name: 'ИП Смирнова', turnover: 15_000, owner: 'olga', phone: '+79160000004',
    contacts: [{ name: 'Елена Смирнова', phones: [{ number: '+79160000004', label: 'мобильный' }] }],
  },
];
