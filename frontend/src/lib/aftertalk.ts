// After the talk: the caller's attendance and certificates, certificate
// verification, and the staff's report (api.md "After the talk").
import { call, download, type Talk } from './api';
import { t } from './i18n.svelte';
import type { components } from './api-types';

export type MyAttendance = components['schemas']['MyAttendance'];
export type Certificate = components['schemas']['Certificate'];
export type TalkReport = components['schemas']['TalkReport'];
export type Notifications = components['schemas']['Notifications'];

export const afterTalk = {
  mine: (id: number) => call('get', '/api/v1/talks/{id}/attendance/me', { params: { id } }),
  verify: (code: string) => call('get', '/api/v1/certificates/{code}', { params: { code } }),
  report: (id: number) => call('get', '/api/v1/talks/{id}/report', { params: { id } }),
  certificate: (t: Talk) => download(`/me/certificates/${t.id}.pdf`, 'application/pdf', `certificate-${t.slug || t.id}.pdf`),
  reportCsv: (t: Talk) => download(`/talks/${t.id}/report.csv`, 'text/csv', `${t.slug}-report.csv`),
  attendanceCsv: (t: Talk) => download(`/talks/${t.id}/attendance.csv`, 'text/csv', `${t.slug}-attendance.csv`),
};

/** "42 of 60 minutes (70 %)" */
export function minutesOf(minutes: number, session: number): string {
  if (session <= 0) return t('attendance.minutes', { minutes });
  return t('attendance.minutesOf', { minutes, session, share: minutes / session });
}
