import { describe, expect, it } from 'vitest';
import { elementsWithTags, findElements, hasFastWalk, parseDocument, walkElements } from '../../src/extract/html/dom.js';
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
    expect(elementsWithTags(document.body!, ['div', 'p'])).toEqual([...document.body!.querySelectorAll('div,p')]);
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
