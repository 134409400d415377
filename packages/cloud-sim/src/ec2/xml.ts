// A tiny XML writer for EC2 responses. Objects become elements in key order, arrays become
// `<item>` lists (EC2's list style), `null` an empty element, `undefined` nothing at all.

export type XmlValue = string | number | boolean | null | undefined | XmlObject | XmlValue[];
export interface XmlObject {
  [key: string]: XmlValue;
}

export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function element(name: string, value: XmlValue): string {
  if (value === undefined) return '';
  if (value === null || value === '') return `<${name}/>`;
  if (Array.isArray(value)) {
    if (value.length === 0) return `<${name}/>`;
    return `<${name}>${value.map((v) => element('item', v)).join('')}</${name}>`;
  }
  if (typeof value === 'object') return `<${name}>${children(value)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function children(obj: XmlObject): string {
  return Object.entries(obj)
    .map(([k, v]) => element(k, v))
    .join('');
}

/** `<{Action}Response xmlns=…><requestId>…</requestId>…</{Action}Response>` */
export function ec2Response(action: string, requestId: string, body: XmlObject): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_NAMESPACE}">${element('requestId', requestId)}${children(body)}</${action}Response>`;
}

/** EC2's error document. */
export function ec2ErrorResponse(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>${element('Code', code)}${element('Message', message)}</Error></Errors>${element('RequestID', requestId)}</Response>`;
}
