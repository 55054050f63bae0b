import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeText, normaliseCharset } from '../../src/extract/index.js';

const bytes = (text: string, charset: string): Uint8Array => new Uint8Array(iconv.encode(text, charset));

describe('decodeText', () => {
  it('decodes windows-1252 curly quotes declared as iso-8859-1, as browsers do', () => {
    const body = bytes('\u201cQuoted\u201d \u2014 it\u2019s fine', 'windows-1252');
    const { text, charset } = decodeText(body, 'text/html; charset=ISO-8859-1');
    expect(text).toBe('\u201cQuoted\u201d \u2014 it\u2019s fine');
    expect(charset).toBe('windows-1252');
  });

  it('decodes windows-1251 with the charset in the header', () => {
    const russian = 'Привет, мир! Это пример текста на русском языке.';
    expect(decodeText(bytes(russian, 'windows-1251'), 'text/html; charset=windows-1251').text).toBe(russian);
  });

  it('detects windows-1251 without any declaration', () => {
    const russian =
      '<html><body><p>Москва — столица России, город федерального значения. Население города составляет более двенадцати миллионов человек, это крупнейший по численности населения город страны.</p></body></html>';
    const decoded = decodeText(bytes(russian, 'windows-1251'), 'text/html');
    expect(decoded.text).toBe(russian);
    expect(decoded.source).toBe('detected');
  });

  it('decodes Shift_JIS with and without a declaration', () => {
    const japanese =
      '<html><body><p>東京は日本の首都であり、世界有数の大都市です。多くの人々がここで暮らし、働いています。日本語の文章を正しく読み込めるか確認します。</p></body></html>';
    const body = bytes(japanese, 'shift_jis');
    expect(decodeText(body, 'text/html; charset=Shift_JIS').text).toBe(japanese);
    expect(decodeText(body, undefined).text).toBe(japanese);
  });

  it('uses <meta charset> and <meta http-equiv> when the header has none', () => {
    const html = '<html><head><meta charset="windows-1251"><title>Тест</title></head><body>Да</body></html>';
    expect(decodeText(bytes(html, 'windows-1251'), 'text/html').text).toContain('<title>Тест</title>');
    const equiv =
      '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head><body>caf\u00e9 \u2019</body></html>';
    const decoded = decodeText(bytes(equiv, 'windows-1252'), undefined);
    expect(decoded.text).toContain('caf\u00e9 \u2019');
    expect(decoded.source).toBe('meta');
  });

  it('lets a UTF-8 byte-order mark win and strips it', () => {
    const body = new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('<p>naïve</p>', 'utf8')]);
    const decoded = decodeText(body, 'text/html; charset=windows-1252');
    expect(decoded.text).toBe('<p>naïve</p>');
    expect(decoded.source).toBe('bom');
  });

  it('decodes undeclared UTF-8 as UTF-8', () => {
    expect(decodeText(Buffer.from('<p>Grüße, 世界</p>', 'utf8'), undefined).text).toBe('<p>Grüße, 世界</p>');
  });

  it('maps charset aliases the way browsers do', () => {
    expect(normaliseCharset('latin1')).toBe('windows-1252');
    expect(normaliseCharset('US-ASCII')).toBe('windows-1252');
    expect(normaliseCharset('"utf8"')).toBe('utf-8');
    expect(normaliseCharset('x-sjis')).toBe('shift_jis');
    expect(normaliseCharset('no-such-charset')).toBeNull();
  });
});
