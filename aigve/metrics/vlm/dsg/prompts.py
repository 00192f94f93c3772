"""DSG's three question-generation prompts (tuples, questions, dependencies), assembled byte for byte as DSG does.

Layout (j-min/DSG, commit 7330119, ``dsg/query_utils.py``, Apache-2.0)::

    <preamble>\n\n<example 1>\n\n...\n\n<example 23>\n\ninput: <test input>\noutput: ␠   (␠: a trailing space)

Each example is ``input: <input>\noutput: <output>``, the outputs are ``'<i> | <value>'`` lines (whitespace
collapsed, numbered from 1 in CSV order), and the question and dependency inputs are the prompt followed by
the numbered tuples. The test input of the question and dependency steps is the prompt, a newline, and the
tuple step's output (cut at a run-on ``input:`` and stripped). The preambles are DSG's; the in-context
examples are :data:`~aigve.metrics.vlm.dsg.icl_examples.ICL_EXAMPLES`. Tests pin the sha256 of each prompt.
"""
from __future__ import annotations

from aigve.utils.hashing import text_sha256

from .icl_examples import ICL_EXAMPLES

__all__ = ['TUPLE_PREAMBLE', 'QUESTION_PREAMBLE', 'DEPENDENCY_PREAMBLE', 'STEPS', 'make_example', 'build_prompt',
           'template_sha256', 'cut_run_on']

TUPLE_PREAMBLE = ('Task: given input prompts, describe each scene with skill-specific tuples.\n'
                  'Do not generate same tuples again. Do not generate tuples that are not explicitly described in '
                  'the prompts.\n'
                  'output format: id | tuple')
QUESTION_PREAMBLE = ('Task: given input prompts and skill-specific tuples, re-write tuple each in natural language '
                     'question.\n'
                     'output format: id | question')
DEPENDENCY_PREAMBLE = ('Task: given input prompts and tuples, describe the parent tuples of each tuple.\n'
                       'output format: id | dependencies (comma separated)')

#: step -> (preamble, which example column is the output); DSG runs them in this order
STEPS: dict[str, tuple[str, str]] = {
    'tuple': (TUPLE_PREAMBLE, 'tuples'),
    'question': (QUESTION_PREAMBLE, 'questions'),
    'dependency': (DEPENDENCY_PREAMBLE, 'dependencies'),
}


def _numbered(values: tuple[str, ...] | list[str]) -> list[str]:
    return [' '.join(f'{i} | {v}'.split()) for i, v in enumerate(values, start=1)]


def make_example(example: dict, step: str) -> tuple[str, str]:
    """The (input, output) text of one in-context example for ``step`` (``'tuple'``, ``'question'``, ``'dependency'``).

    Examples:
        >>> ex = dict(prompt='a cat', tuples=('entity - whole (cat)',), questions=('Is there a cat?',),
        ...           dependencies=('0',))
        >>> make_example(ex, 'question')
        ('a cat\\n1 | entity - whole (cat)', '1 | Is there a cat?')
    """
    column = STEPS[step][1]
    inputs = [example['prompt']] + ([] if step == 'tuple' else _numbered(example['tuples']))
    return '\n'.join(inputs), '\n'.join(_numbered(example[column]))


def build_prompt(step: str, test_input: str, examples: tuple[dict, ...] = ICL_EXAMPLES) -> str:
    """The full LLM request of one DSG step.

    Args:
        step: ``'tuple'``, ``'question'`` or ``'dependency'``.
        test_input: The text prompt (tuple step), or the prompt, a newline and the tuple step's output.
        examples: In-context examples. Defaults to DSG's 23 TIFA160 items.

    Returns:
        The request text; it ends with ``'output: '`` (trailing space kept).

    Raises:
        ValueError: If ``step`` is unknown.
    """
    if step not in STEPS:
        raise ValueError(f'`step` must be one of {list(STEPS)}, but got {step!r}')
    shown = []
    for example in examples:
        inp, out = make_example(example, step)
        shown.append(f'input: {inp.strip()}\noutput: {out.strip()}')
    return f'{STEPS[step][0]}\n\n' + '\n\n'.join(shown) + f'\n\ninput: {test_input}\noutput: '


def template_sha256(step: str) -> str:
    """sha256 of ``step``'s prompt with the test input ``'PROMPT'`` (the template hash in question-cache keys)."""
    return text_sha256(build_prompt(step, 'PROMPT'))


def cut_run_on(text: str) -> str:
    """DSG's ``parse_with_input_name``, then strip: keep the reply up to a run-on ``input:`` example.

    Examples:
        >>> cut_run_on('1 | entity - whole (cat)\\n\\ninput: a dog\\noutput: 1 | ...')
        '1 | entity - whole (cat)'
    """
    return text.split('input:')[0].strip()
