"""Forms: a questionnaire written for the tools that collect answers — XLSForm for KoboToolbox
and ODK, LimeSurvey's tab-separated survey format, 问卷星's text import, and a printable form
(HTML or PDF). The stage sits above `reporting`, whose PDF renderer the printable form uses;
the names that let `dtassess import` read the tools' exports back live in `inputs.formnames`.
docs/forms.md describes each format.
"""
