import { parseHTML } from 'linkedom';
import { describe, expect, it } from 'vitest';
import {
  elementsWithTags,
  findElements,
  hasFastWalk,
  parseDocument,
  walkElements,
} from '../../src/extract/html/dom.js';
import { removeBoilerplate } from '../../src/extract/html/boilerplate.js';

const PAGE = `<!DOCTYPE html><html><head><title>T</title><meta name="a" content="1"></head><body>
  <div id="x"><p>One <a href="/a">a</a></p><ul><li>1</li><li><p>2</p></li></ul></div>
  <table><tr><td><p>cell</p></td></tr></table><p>Last</p></body></html>`;

describe('DOM walks over linkedom', () => {
  it('walks linkedom’s private linked list (a linkedom upgrade that renames it would be slower)', () => {
    expect(hasFastWalk).toBe(true);
  });

  it('finds the elements querySelectorAll finds, in the same order', () => {
    const document = parseDocument(PAGE);
    for (const tags of [['p'], ['p', 'li'], ['a', 'td', 'meta', 'title'], ['ul', 'table']]) {
      expect(elementsWithTags(document, tags)).toEqual([...document.querySelectorAll(tags.join(','))]);
      const body = document.body!;
      expect(elementsWithTags(body, tags)).toEqual([...body.querySelectorAll(tags.join(','))]);
    }
  });

  it('finds elements created with an upper-case tag name', () => {
    const document = parseDocument(PAGE);
    const div = document.createElement('DIV');
    div.appendChild(document.createElement('P'));
    document.body!.appendChild(div);
    expect(elementsWithTags(document.body!, ['div', 'p'])).toEqual([
      ...document.body!.querySelectorAll('div,p'),
    ]);
  });

  it('skips a subtree when the visitor says so, even after removing it', () => {
    const document = parseDocument(PAGE);
    const seen: string[] = [];
    walkElements(document.body!, (element) => {
      seen.push(element.tagName);
      if (element.tagName === 'UL') {
        element.remove();
        return true;
      }
      return false;
    });
    expect(seen).toEqual(['DIV', 'P', 'A', 'UL', 'TABLE', 'TR', 'TD', 'P', 'P']);
    expect(findElements(document, (element) => element.tagName === 'LI')).toEqual([]);
  });
});

describe('linkedom events (patched: patches/linkedom+*.patch)', () => {
  // The patch makes a node's listener map on its first addEventListener instead of in every node's
  // constructor, which halves the CPU of extracting a page. These tests hold it to both halves of
  // that: no map per node, and events that still work.
  it('gives parsed nodes no listener map until one is added, so the patch is in place', () => {
    const document = parseDocument(PAGE);
    let eventTarget: object = document.body!;
    while (Object.getPrototypeOf(eventTarget) !== Object.prototype)
      eventTarget = Object.getPrototypeOf(eventTarget);
    const source = String((eventTarget as { constructor: unknown }).constructor);
    expect(source).toContain('addEventListener');
    expect(source).not.toMatch(/constructor\(\)\s*\{[^}]*wm\.set/);
  });

  it('still delivers events to their listeners, bubbling to ancestors, once when asked, and not after removal', () => {
    const { document, Event } = parseHTML(PAGE);
    const paragraph = document.querySelector('#x p')!;
    const div = document.querySelector('#x')!;
    const seen: string[] = [];
    const onDiv = (event: Event): void => void seen.push(`div:${event.type}`);
    paragraph.addEventListener('ping', () => seen.push('p:ping'));
    paragraph.addEventListener('ping', () => seen.push('p:once'), { once: true });
    div.addEventListener('ping', onDiv);
    paragraph.dispatchEvent(new Event('ping', { bubbles: true }));
    paragraph.dispatchEvent(new Event('ping', { bubbles: true }));
    div.removeEventListener('ping', onDiv);
    paragraph.dispatchEvent(new Event('ping', { bubbles: true }));
    // Removing a listener from a node that never had one is a no-op, as in browsers.
    document.querySelector('table')!.removeEventListener('ping', onDiv);
    expect(seen).toEqual(['p:ping', 'p:once', 'div:ping', 'p:ping', 'div:ping', 'p:ping']);
  });
});

describe('removeBoilerplate', () => {
  it('removes navigation, hidden blocks and comment threads but keeps blocks that hold the article', () => {
    const document = parseDocument(`<html><body>
      <nav><a href="/">Home</a></nav>
      <div aria-hidden="true">hidden</div>
      <div role="navigation"><div role="main"><p>kept main</p></div></div>
      <div class="comments"><p>a comment</p></div>
      <article class="comment-body"><p>kept article</p></article>
      <div id="respond"><h1>kept heading</h1></div>
      <p>text</p></body></html>`);
    removeBoilerplate(document);
    const text = document.body!.textContent!.replace(/\s+/g, ' ').trim();
    expect(text).toBe('kept main kept article kept heading text');
  });
});
