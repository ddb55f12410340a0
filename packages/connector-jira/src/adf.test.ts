import { describe, expect, it } from 'vitest';
import { adfToText, textToAdf } from './adf.js';

describe('Atlassian Document Format conversion', () => {
  it('turns blank lines into paragraphs and single newlines into hard breaks, dropping empty text', () => {
    expect(textToAdf('one\r\ntwo\n\n\n  \nthree\n')).toEqual({
      type: 'doc',
      version: 1,
      content: [
        {
          type: 'paragraph',
          content: [{ type: 'text', text: 'one' }, { type: 'hardBreak' }, { type: 'text', text: 'two' }],
        },
        { type: 'paragraph', content: [{ type: 'text', text: 'three' }] },
      ],
    });
    expect(textToAdf('   ').content).toEqual([]);
  });

  it.each(['plain', 'a\nb', 'first\n\nsecond\nline'])('round-trips %j', (text) => {
    expect(adfToText(textToAdf(text))).toBe(text);
  });

  it('reads lists, headings, mentions and marks as readable text', () => {
    const document = {
      type: 'doc',
      version: 1,
      content: [
        { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: 'Plan' }] },
        {
          type: 'bulletList',
          content: [
            { type: 'listItem', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'ship' }] }] },
            {
              type: 'listItem',
              content: [
                {
                  type: 'paragraph',
                  content: [
                    { type: 'text', text: 'ask ' },
                    { type: 'mention', attrs: { id: 'a-1', text: '@Mia' } },
                    { type: 'text', text: ' now', marks: [{ type: 'strong' }] },
                  ],
                },
              ],
            },
          ],
        },
      ],
    };
    expect(adfToText(document)).toBe('Plan\n\n- ship\n- ask @Mia now');
  });

  it('keeps null as null and a plain string as it is', () => {
    expect(adfToText(null)).toBeNull();
    expect(adfToText(undefined)).toBeNull();
    expect(adfToText('already text')).toBe('already text');
    expect(adfToText({ type: 'doc' })).toBeNull();
  });
});
