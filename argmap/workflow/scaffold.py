"""NAME + folder → a new case: models/NAME.yaml, evidence/NAME/*.yaml and references.bib.

The files written are a worked example, not a blank form: a small "did the policy cause the
outcome?" case that uses every construct of the model and evidence formats once, each with a
comment that says what the key means, so that a new user can learn the language by reading
them and then replace the example with her own case. The case passes ``argmap check``.
"""

from __future__ import annotations

import os
import re

from argmap._io import write_atomic
from argmap.errors import ArgmapError, Location
from argmap.loader.reader import ID_PATTERN

__all__ = ["scaffold"]

_PLACEHOLDER = "@NAME@"

_MODEL = """\
# yaml-language-server: $schema=../argmap.schema.json
#
# ^ Editor help (optional). In VS Code with Red Hat's YAML extension the line above gives
#   hover help, completion and red underlines for this file. It needs the schema file: in the
#   folder that holds models/ and evidence/, run
#       argmap schema > argmap.schema.json
#   argmap itself ignores the line; delete it if you don't use such an editor.
#
# @NAME@: an argmap MODEL, the claims of an argument and how they depend on each other.
# `argmap new` wrote it as a worked example to read and then replace with your own case. The
# example asks: did a town's free school-breakfast programme raise pupils' reading scores?
#
#   argmap check models/@NAME@.yaml      are the files well formed? (file:line for each problem)
#   argmap update models/@NAME@.yaml     prior and posterior of every claim
#
# Lines starting with # are comments. Indentation (spaces, never tabs) shows what belongs to
# what. Every key is explained in docs/model-format.md of the argmap documentation.

argmap: 1                     # the format version: required, and 1 for now

# ----------------------------------------------------------------------- what the case is about
# Free text, shown in reports; none of it is used in the calculations.
title: Free school breakfasts and reading scores
question: Did the town's free school-breakfast programme (from 2019) raise reading scores?
hypothesis: The programme raised reading scores by bringing more pupils to school fed and ready to learn.
theory: Nutrition and attendance as channels of learning
authors: [A. Researcher]      # one name, or a list of names
description: >-
  A made-up example case written by `argmap new`. Replace it with your own.

# Where the rest of the case is; paths are relative to THIS file.
# bibliography: a BibTeX file; evidence items name its entries with `cite:`.
# evidence: a list of evidence files or folders. A folder is read with its subfolders (every
#   *.yaml and *.yml file, in sorted order). Without this key argmap reads ../evidence/@NAME@/.
#   `argmap update --evidence PATH` replaces the list for one run.
bibliography: ../evidence/@NAME@/references.bib
evidence: [../evidence/@NAME@/]

# The verbal probability scale: the words you may write below, and the words output uses.
# icd203 (the default) | kent | ipcc; the words and their ranges are in docs/model-format.md.
scale: icd203

# How rough your bare numbers are: in robustness analysis (argmap sensitivity, the report) a
# number p ranges over logit(p) ± uncertainty; 0.5 (the default) reads 0.5 as 0.38–0.62 and 0.9
# as 0.85–0.94; 0 makes numbers exact. Inference always uses the number itself.
uncertainty: 0.5

# ----------------------------------------------------------------------------------- sources
# A source is who reports several evidence items. Items that name the same source share its
# reliability, so a source repeating itself is not counted as independent confirmation.
# With reliability r and random_yes a, the source reports an item with probability
#   r * P(item | the truth) + (1 - r) * a
# (an unreliable source reports it with probability a, whatever the truth).
sources:
  inspectorate:
    text: National school inspectorate reports
    reliability: 0.85         # P(the source is reliable): a number, a word, a range, or a letter A-F
    # random_yes: 0.5         # P(an UNRELIABLE source reports the item anyway); 0.5 if left out
  ministry_press:
    text: Education ministry press releases
    reliability: C            # Admiralty letter: A 0.95, B 0.8, C 0.6, D 0.4, E 0.2, F 0.5 (cannot be judged)
    random_yes: 0.7           # a ministry tends to announce success whether or not it happened
    url: https://example.org/ministry/press      # optional
    note: The press office, not the statistics office.   # optional, for you; never used in calculations

# ------------------------------------------------------------------------------------ claims
# Each claim has an id (lower-case letters, digits and _, starting with a letter; unique
# across claims, sources and evidence items), a text, a role, and its probability given in
# exactly ONE of three ways:
#   1. prior:                        the claim depends on no other claim
#   2. supported_by / attacked_by:   noisy-OR, for true/false claims raised or lowered by others
#   3. given + table:                an explicit table, for anything else
# A probability is a number (0.3), a percentage ("30%"), a word of the scale above (likely),
# or a range [low, high]. The calculation uses the middle of a range or word; sensitivity
# analysis moves it across the range.
# A claim is true or false unless it lists other `states`.
claims:

  programme_ran:
    text: The breakfast programme actually ran in most of the town's primary schools from 2019.
    role: assumption          # hypothesis | rival | factor (the default) | mechanism | assumption | outcome
    prior: 0.9                # a number: P(true); P(false) is 1 - 0.9

  school_closures:
    text: Schools were closed for long stretches in 2020 and 2021.
    prior: [0.2, 0.4]         # a range, "between 20% and 40%"; the calculation uses 0.3
    # role: factor            # (the default role)

  budget_cuts:
    text: The town council has to cut its budget in 2022.
    role: factor
    prior: unlikely           # a word of the scale: on icd203 'unlikely' is 0.20-0.45, so 0.325

  better_attendance:
    label: Attendance         # optional short name for diagrams
    text: Pupils attend school more regularly than before the programme.
    role: mechanism
    # Noisy-OR. Each supporter that is true can make this claim true, with its strength; each
    # attacker that is true blocks it, with its strength; the leak is the chance that it is true
    # although no supporter is. Over the supporters s and attackers a that are true:
    #   P(true) = [1 - (1 - leak) * product of (1 - s)] * product of (1 - a)
    # e.g. programme ran, no closures: 1 - 0.9 * 0.4 = 0.64; with closures too: 0.64 * 0.5 = 0.32
    supported_by: {programme_ran: 60%}   # claim id: strength (here as a percentage)
    attacked_by: {school_closures: 0.5}
    leak: 0.1                 # 0.05 if left out

  explanation:
    text: What mainly explains the change in reading scores
    role: hypothesis
    # Exclusive, exhaustive rival explanations are ONE claim with several states (not several
    # true/false claims), so that exactly one of them holds. A claim with more than two states
    # needs a probability for each state, summing to 1.
    states: [breakfasts, curriculum, test_change]
    prior: {breakfasts: 0.4, curriculum: 0.35, test_change: 0.25}

  scores_rose:
    text: Reading scores in the town's primary schools rose between 2018 and 2021.
    role: outcome
    # An explicit table: one row for every combination of the states of the claims in `given`.
    # A row's key lists their states in the order of `given`, separated by commas (quotes are
    # optional); its value is P(true) for a true/false claim, or {state: p, ...} otherwise.
    given: [explanation, better_attendance]
    table:
      "breakfasts, true": 0.8
      "breakfasts, false": 0.3
      "curriculum, true": 0.75
      "curriculum, false": 0.65
      "test_change, true": 0.8
      "test_change, false": 0.75
    # Which true/false claims of `given` push this one up (supports) or down (attacks): the
    # diagram draws them as such, and the table should agree (here every "..., true" row is
    # higher than its "..., false" row).
    supports: [better_attendance]

  budget_renewed:
    text: The council renews the programme's budget for 2022.
    role: outcome
    given: [scores_rose, budget_cuts]
    table:
      "true, true": 0.5
      "true, false": 0.9
      "false, true": {true: 0.1, false: 0.9}   # a row may also give every state
      "false, false": 0.5
    supports: [scores_rose]
    attacks: [budget_cuts]
    # coupling: comonotone   # optional, tables only: for argmap cause, assume the rows' states
    #                        # move together across worlds (exact PN/PS instead of bounds; docs/causal.md)
    note: Written before the 2022 budget was known.   # optional, for you

# ------------------------------------------------------------------------------------ accounts
# Optional: the complete stories the study weighs, each a conjunction of claim states. argmap
# reports each one's prior and posterior (P that all its states hold) and the Bayes factor
# between every pair. They need not cover every possibility; `argmap check` warns of two
# accounts that can both hold (make them disagree on some claim, as these do on explanation).
accounts:
  breakfast_story: {explanation: breakfasts, better_attendance: true, scores_rose: true}
  curriculum_story: {explanation: curriculum, scores_rose: true}
  easier_test: {explanation: test_change}

# ------------------------------------------------------------------------------- causal claims
# Optional: the causal questions the report's "Causal claims" section assesses with
# `argmap cause` — did the cause make the difference (probabilities of necessity and
# sufficiency)? Without this list, every support and attack arrow into a hypothesis is assessed.
causal_claims:
  - {cause: programme_ran, effect: better_attendance}

# ---------------------------------------------------------------------------------- milestones
# Optional: dates to look back from. The report shows what the evidence dated up to each one
# supported, beside what all the evidence supports (e.g. what was known when a paper was written).
milestones:
  - {date: 2020-12, label: before the 2021 results}
"""

_EVIDENCE = """\
# yaml-language-server: $schema=../../argmap-evidence.schema.json
#
# ^ Editor help (optional), as in the model file. In the folder that holds models/ and
#   evidence/, run
#       argmap schema --kind evidence > argmap-evidence.schema.json
#
# EVIDENCE for the case @NAME@. argmap reads every *.yaml / *.yml file in this folder and its
# subfolders, in sorted order; split your evidence into as many files as you like. A file
# holds one item, or a list of items each starting with "- id:". Ids are unique across the
# model and all its evidence files. Every key is explained in docs/evidence-format.md.
#
# Each item says what was observed, when, where it is from, which claim(s) it bears on and
# how strongly, in exactly ONE of these ways:
#   likelihood:     P(this observation | each state of the claim it bears on)
#   lr:             a likelihood ratio, P(observation | true) / P(observation | false)
#   test:           a process-tracing test: hoop | smoking_gun | straw_in_the_wind | doubly_decisive
#   given + table:  P(this observation | the states of several claims)
#   observe:        the state of a claim is simply known (hard evidence)
#
# Dates: YYYY, YYYY-MM or YYYY-MM-DD. `argmap update --as-of DATE` counts an item once its
# whole dated period has passed: 2020-07 counts from --as-of 2020-07-31 (or 2020-08), 2021
# from --as-of 2021-12-31 (or 2021). An undated item always counts.

- id: attendance_report
  date: 2020-07               # a month
  text: Inspectors find attendance up four points in schools with the programme.
  source: inspectorate        # a source of the model; its reliability applies to this item
  cite: inspectorate_2020     # a key of the model's bibliography (or a list: [key1, key2])
  quote: "Attendance rose by four percentage points where breakfast clubs opened."
  page: 12                    # where the quote is
  bears_on: better_attendance # the claim this item is evidence about
  likelihood: {true: 0.7, false: 0.2}   # P(inspectors find this | attendance did improve / did not)
  observed: true              # the default: looked for and found

- id: ministry_success_claim
  date: 2021-09-15            # a day
  text: The ministry announces that the breakfast programme "transformed" reading.
  source: ministry_press      # a C-rated source that announces success easily (random_yes 0.7)
  url: https://example.org/ministry/press/2021-09-15
  bears_on: explanation       # a claim with several states: one probability for each state
  likelihood: {breakfasts: 0.9, curriculum: 0.5, test_change: 0.5}   # need not sum to 1

- id: scores_published
  date: 2021                  # a year
  text: National statistics show reading scores in the town's schools six points above 2018.
  cite: [national_stats_2021]
  observe: {scores_rose: true}   # hard evidence: the claim's state is known; no likelihood

- id: curriculum_pilot_improved
  date: 2019-12
  text: Schools that piloted the new curriculum without breakfast clubs improved their scores.
  cite: council_pilot_2019
  bears_on: explanation
  test: hoop                  # a hoop test: expected if the explanation holds, P 0.95 against 0.6
  for: curriculum             # which state the test is for (needed when the claim has states)
  observed: false             # looked for and NOT found: the curriculum explanation fails the hoop

- id: headteacher_survey
  date: 2020-11
  text: Most head teachers say pupils arrive on time more often since the breakfast clubs opened.
  bears_on: better_attendance
  likelihood: {true: 0.6, false: 0.2}   # P(this | each state): a ratio of 3 at stated levels
  reliability: B              # this item's own reliability (when it has no shared source):
                              # a letter A-F or a number; an unreliable report is a coin flip (0.5)

- id: council_budget_line
  date: 2019-04
  text: The council's budget includes a line for breakfast clubs in every participating school.
  bears_on: programme_ran
  lr: 3                       # P(this | true) / P(this | false) = 3: likelihood {true: 0.75, false: 0.25};
                              # a ratio states no levels, so lr takes no reliability or source

- id: fewer_absences
  date: 2021-03-01
  text: School registers show fewer unexplained absences in 2021 than in 2018.
  # An item that bears on several claims at once gives a table over them, written as a
  # claim's table: rows of their states in the order of `given`, values P(this observation).
  given: [better_attendance, school_closures]
  table:
    "true, true": 0.5
    "true, false": 0.8
    "false, true": 0.1
    "false, false": 0.2
  reliability: 0.9            # per-item reliability as a number
  note: Registers were kept less strictly during closures.   # optional, for you

- id: breakfast_club_queues
  date: 2019-10
  text: A local newspaper photographs queues at the new breakfast clubs.
  url: https://example.org/news/breakfast-queues
  bears_on: programme_ran
  test: straw_in_the_wind     # on a true/false claim a test is for 'true'; no `for:` needed

- id: test_made_easier
  text: Exam board papers show that the 2021 reading test was made easier.
  bears_on: explanation
  test: smoking_gun           # rare unless the explanation holds: P 0.3 against 0.03
  for: test_change
  expected: true              # not looked for yet: never counted, a candidate for what to look for next
"""

_BIBLIOGRAPHY = """\
% References for the case @NAME@ (BibTeX). Evidence items cite these keys with `cite:`.
% The model names this file with `bibliography:`. These entries are made-up examples.

@techreport{inspectorate_2020,
  author      = {{National School Inspectorate}},
  title       = {Breakfast Clubs and School Attendance: Interim Report},
  institution = {National School Inspectorate},
  year        = {2020},
  month       = jul,
}

@misc{national_stats_2021,
  author       = {{National Statistics Office}},
  title        = {Primary School Reading Attainment by Local Authority, 2021},
  year         = {2021},
  howpublished = {Statistical release},
}

@techreport{council_pilot_2019,
  author      = {{Town Council Education Department}},
  title       = {New Reading Curriculum: Pilot Evaluation},
  institution = {Town Council},
  year        = {2019},
  month       = dec,
}
"""


def scaffold(name: str, directory: str) -> list[str]:
    """Write a new case called ``name`` under ``directory``; return the paths written.

    Nothing is overwritten: if any of the files exists, nothing is written and an
    :class:`~argmap.errors.ArgmapError` names it."""
    if not isinstance(name, str) or not ID_PATTERN.match(name):
        suggestion = re.sub(r"[^a-z0-9_]+", "_", str(name).lower()).strip("_")
        if not suggestion or not suggestion[0].isalpha():
            suggestion = "case_" + suggestion
        raise ArgmapError.at(
            Location("argmap new"),
            f"'{name}' is not a valid case name: use lower-case letters, digits and _, "
            f"starting with a letter (e.g. '{suggestion}')",
        )
    files = [
        (os.path.normpath(os.path.join(directory, *parts)), text)
        for parts, text in (
            (("models", f"{name}.yaml"), _MODEL),
            (("evidence", name, "examples.yaml"), _EVIDENCE),
            (("evidence", name, "references.bib"), _BIBLIOGRAPHY),
        )
    ]
    for path, _ in files:
        if os.path.lexists(path):
            raise _exists(path)
    written: list[str] = []
    for path, template in files:
        try:
            write_atomic(path, template.replace(_PLACEHOLDER, name), overwrite=False)
        except FileExistsError:  # appeared since the check above
            raise _exists(path) from None
        except OSError as exc:
            raise ArgmapError.at(Location(path), f"cannot write {path}: {exc.strerror}") from None
        written.append(path)
    return written


def _exists(path: str) -> ArgmapError:
    return ArgmapError.at(Location(path), "this file exists; choose another name or remove it")
