// Every string the page shows, in English and Russian. The language is the user's own (User.language),
// switched in the page header and saved with PATCH /api/v1/auth/me. `{name}` placeholders are filled by t().
import type { Language } from './types.js';

const en = {
  appName: 'CTI',
  loading: 'Loading…',
  save: 'Save',
  saved: 'Saved',
  cancel: 'Cancel',
  close: 'Close',
  delete: 'Delete',
  add: 'Add',
  none: '—',
  more: 'Show more',
  yes: 'yes',
  no: 'no',

  // login
  loginTitle: 'Sign in',
  username: 'User name',
  password: 'Password',
  signIn: 'Sign in',
  loginFailed: 'Wrong user name or password.',
  tooManyAttempts: 'Too many attempts. Wait a few minutes and try again.',
  logout: 'Log out',
  language: 'Language',

  // navigation
  navContacts: 'Contacts',
  navCalls: 'Calls',
  navTasks: 'Tasks',
  navUsers: 'Users',
  navRouting: 'Routing',
  realtimeOffline: 'No live connection: calls will not pop up until it is back.',

  // contacts
  contactsTitle: 'Contacts',
  search: 'Search by name, e-mail or number',
  noContacts: 'No contacts found.',
  name: 'Name',
  client: 'Client',
  phones: 'Phones',
  email: 'E-mail',
  turnover: 'Turnover',
  owner: 'Owner',
  segment: 'Segment',
  perMonth: '{amount} a month',
  contactCalls: 'Calls',
  openTasks: 'Open tasks',
  noCalls: 'No calls yet.',
  noTasks: 'No open tasks.',
  backToList: '← All contacts',
  openCard: 'Open the card',
  notFound: 'Not found.',
  forbidden: 'You do not have access to this.',

  // click-to-call
  call: 'Call',
  callNumber: 'Call {number}',
  c2c_requested: 'Requesting the call…',
  c2c_calling_you: 'Calling your phone: pick it up.',
  c2c_calling_client: 'Calling the client…',
  c2c_talking: 'Talking.',
  c2c_ended: 'The call has ended.',
  c2c_failed: 'The call did not go through.',
  c2cReason_not_registered: 'Your phone is not connected to the PBX (not registered).',
  c2cReason_busy: 'The line is busy.',
  c2cReason_no_answer: 'Nobody answered.',
  c2cReason_rejected: 'The call was rejected.',
  c2cReason_pbx_unavailable: 'The PBX is not available right now.',
  c2cNoExtension: 'You have no extension: ask an administrator to give you one.',
  c2cBadNumber: 'This is not a phone number.',
  c2cPbxDown: 'The PBX is not connected right now. Try again in a minute.',

  // calls
  callsTitle: 'Calls',
  myCalls: 'My calls',
  allCalls: 'All calls',
  period: 'Period',
  period_today: 'Today',
  period_week: 'Last 7 days',
  period_month: 'Last 30 days',
  period_all: 'All time',
  direction: 'Direction',
  direction_any: 'Any direction',
  direction_inbound: 'Inbound',
  direction_outbound: 'Outbound',
  direction_internal: 'Internal',
  disposition: 'Outcome',
  disposition_any: 'Any outcome',
  disposition_answered: 'Answered',
  disposition_no_answer: 'No answer',
  disposition_busy: 'Busy',
  disposition_failed: 'Failed',
  disposition_live: 'In progress',
  when: 'When',
  number: 'Number',
  extension: 'Extension',
  ring: 'Ring',
  talk: 'Talk',
  recording: 'Recording',
  noRecording: 'no recording',
  download: 'Download',
  play: 'Play',
  clickToCall: 'click-to-call',
  wrapupLabel: 'Wrap-up',

  // routedBy
  routed_prior_manager: 'you talked with this client last',
  routed_owner: 'you own this client',
  routed_turnover: 'turnover tier "{tier}"',
  routed_default: 'default target',
  routed_fallback: 'fallback (the router was unavailable)',
  routed_unknown: '{reason}',

  // pop
  incomingCall: 'Incoming call',
  unknownCaller: 'Unknown number',
  whyHere: 'Why you',
  lastCalls: 'Last calls',
  ringing: 'Ringing…',
  answeredBy: 'Answered by {extension}',
  answeredHere: 'Talking',
  callEnded: 'The call has ended ({disposition}).',
  createContact: 'Create a contact',
  clientName: 'Client (company or person)',
  contactName: 'Contact name',
  contactCreated: 'Contact created.',

  // wrap-up
  wrapupTitle: 'Wrap-up',
  description: 'What was it about',
  outcome: 'Outcome',
  chooseOutcome: 'Choose…',
  nextStep: 'Next step: call back at',
  nextStepNote: 'Note for the callback',
  wrapupSaved: 'Wrap-up saved.',
  skip: 'Later',

  // tasks
  tasksTitle: 'Tasks',
  myTasks: 'My tasks',
  overdueTasks: 'Overdue (live)',
  task_callback: 'Call back',
  task_follow_up: 'Follow up',
  due: 'Due',
  assignee: 'Assignee',
  overdue: 'overdue',
  markDone: 'Done',
  done: 'done',
  newOverdue: 'Task overdue: {what}, {assignee}',

  // admin: users
  usersTitle: 'Users',
  role: 'Role',
  role_manager: 'Manager',
  role_supervisor: 'Supervisor',
  role_admin: 'Administrator',
  newUser: 'New user',
  newPassword: 'New password (leave empty to keep)',
  confirmDelete: 'Delete user {name}?',

  // admin: routing
  routingTitle: 'Routing rules',
  routingHelp:
    'A client\'s call rings the manager who last talked with them (or the owner) first, then the turnover tier it falls in, or the default target. JSON, validated by the service when saved.',
  routingReadOnly: 'Only administrators change the rules.',

  // errors
  errorNetwork: 'The service cannot be reached. Check the connection.',
  errorGeneric: 'Something went wrong: {message}',
};

export type MessageKey = keyof typeof en;

const ru: Record<MessageKey, string> = {
  appName: 'CTI',
  loading: 'Загрузка…',
  save: 'Сохранить',
  saved: 'Сохранено',
  cancel: 'Отмена',
  close: 'Закрыть',
  delete: 'Удалить',
  add: 'Добавить',
  none: '—',
  more: 'Показать ещё',
  yes: 'да',
  no: 'нет',

  loginTitle: 'Вход',
  username: 'Имя пользователя',
  password: 'Пароль',
  signIn: 'Войти',
  loginFailed: 'Неверное имя пользователя или пароль.',
  tooManyAttempts: 'Слишком много попыток. Подождите несколько минут и попробуйте снова.',
  logout: 'Выйти',
  language: 'Язык',

  navContacts: 'Контакты',
  navCalls: 'Звонки',
  navTasks: 'Задачи',
  navUsers: 'Пользователи',
  navRouting: 'Маршрутизация',
  realtimeOffline: 'Нет связи с сервером: карточки звонков не появятся, пока она не восстановится.',

  contactsTitle: 'Контакты',
  search: 'Поиск по имени, e-mail или номеру',
  noContacts: 'Контакты не найдены.',
  name: 'Имя',
  client: 'Клиент',
  phones: 'Телефоны',
  email: 'E-mail',
  turnover: 'Оборот',
  owner: 'Ответственный',
  segment: 'Сегмент',
  perMonth: '{amount} в месяц',
  contactCalls: 'Звонки',
  openTasks: 'Открытые задачи',
  noCalls: 'Звонков пока нет.',
  noTasks: 'Открытых задач нет.',
  backToList: '← Все контакты',
  openCard: 'Открыть карточку',
  notFound: 'Не найдено.',
  forbidden: 'У вас нет доступа к этому.',

  call: 'Позвонить',
  callNumber: 'Позвонить на {number}',
  c2c_requested: 'Заказываем звонок…',
  c2c_calling_you: 'Звоним на ваш телефон: снимите трубку.',
  c2c_calling_client: 'Звоним клиенту…',
  c2c_talking: 'Идёт разговор.',
  c2c_ended: 'Разговор окончен.',
  c2c_failed: 'Звонок не состоялся.',
  c2cReason_not_registered: 'Ваш телефон не подключён к АТС (не зарегистрирован).',
  c2cReason_busy: 'Линия занята.',
  c2cReason_no_answer: 'Никто не ответил.',
  c2cReason_rejected: 'Вызов отклонён.',
  c2cReason_pbx_unavailable: 'АТС сейчас недоступна.',
  c2cNoExtension: 'У вас нет внутреннего номера: попросите администратора назначить его.',
  c2cBadNumber: 'Это не номер телефона.',
  c2cPbxDown: 'АТС сейчас не подключена. Попробуйте через минуту.',

  callsTitle: 'Звонки',
  myCalls: 'Мои звонки',
  allCalls: 'Все звонки',
  period: 'Период',
  period_today: 'Сегодня',
  period_week: 'Последние 7 дней',
  period_month: 'Последние 30 дней',
  period_all: 'За всё время',
  direction: 'Направление',
  direction_any: 'Любое направление',
  direction_inbound: 'Входящий',
  direction_outbound: 'Исходящий',
  direction_internal: 'Внутренний',
  disposition: 'Итог',
  disposition_any: 'Любой итог',
  disposition_answered: 'Отвечен',
  disposition_no_answer: 'Без ответа',
  disposition_busy: 'Занято',
  disposition_failed: 'Ошибка',
  disposition_live: 'Идёт',
  when: 'Когда',
  number: 'Номер',
  extension: 'Внутренний',
  ring: 'Звонил',
  talk: 'Разговор',
  recording: 'Запись',
  noRecording: 'нет записи',
  download: 'Скачать',
  play: 'Слушать',
  clickToCall: 'звонок из карточки',
  wrapupLabel: 'Итог разговора',

  routed_prior_manager: 'вы последним говорили с этим клиентом',
  routed_owner: 'вы ответственный за клиента',
  routed_turnover: 'группа по обороту «{tier}»',
  routed_default: 'направление по умолчанию',
  routed_fallback: 'резервный маршрут (маршрутизатор был недоступен)',
  routed_unknown: '{reason}',

  incomingCall: 'Входящий звонок',
  unknownCaller: 'Неизвестный номер',
  whyHere: 'Почему вам',
  lastCalls: 'Последние звонки',
  ringing: 'Звонит…',
  answeredBy: 'Ответил {extension}',
  answeredHere: 'Разговор',
  callEnded: 'Звонок завершён ({disposition}).',
  createContact: 'Создать контакт',
  clientName: 'Клиент (компания или человек)',
  contactName: 'Имя контакта',
  contactCreated: 'Контакт создан.',

  wrapupTitle: 'Итог разговора',
  description: 'О чём говорили',
  outcome: 'Результат',
  chooseOutcome: 'Выберите…',
  nextStep: 'Следующий шаг: перезвонить',
  nextStepNote: 'Заметка к перезвону',
  wrapupSaved: 'Итог сохранён.',
  skip: 'Позже',

  tasksTitle: 'Задачи',
  myTasks: 'Мои задачи',
  overdueTasks: 'Просроченные (в реальном времени)',
  task_callback: 'Перезвонить',
  task_follow_up: 'Связаться',
  due: 'Срок',
  assignee: 'Исполнитель',
  overdue: 'просрочена',
  markDone: 'Выполнено',
  done: 'выполнена',
  newOverdue: 'Задача просрочена: {what}, {assignee}',

  usersTitle: 'Пользователи',
  role: 'Роль',
  role_manager: 'Менеджер',
  role_supervisor: 'Руководитель',
  role_admin: 'Администратор',
  newUser: 'Новый пользователь',
  newPassword: 'Новый пароль (пусто — не менять)',
  confirmDelete: 'Удалить пользователя {name}?',

  routingTitle: 'Правила маршрутизации',
  routingHelp:
    'Звонок клиента сначала идёт менеджеру, который последним с ним говорил (или ответственному), затем в группу по обороту клиента или на направление по умолчанию. JSON; сервис проверяет его при сохранении.',
  routingReadOnly: 'Менять правила может только администратор.',

  errorNetwork: 'Сервис недоступен. Проверьте подключение.',
  errorGeneric: 'Что-то пошло не так: {message}',
};

const dictionaries: Record<Language, Record<MessageKey, string>> = { en, ru };

let current: Language = navigator.language.toLowerCase().startsWith('ru') ? 'ru' : 'en';

export function setLanguage(lang: Language): void {
  current = lang;
  document.documentElement.lang = lang;
}

export function language(): Language {
  return current;
}

/** The message in the current language, with {placeholders} filled. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const s = dictionaries[current][key];
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

/** Keys built from data (`disposition_${d}`), checked against the dictionary. */
export function tKey(prefix: string, value: string, params: Record<string, string | number> = {}): string {
  const key = `${prefix}${value}`;
  return key in en ? t(key as MessageKey, params) : value;
}
