{#-
    Expressions on post text and its rich-text facets (app.bsky.richtext.facet: byte ranges into the
    UTF-8 text, with features such as #link, #mention and #tag). Each engine's lists and lambdas are in
    engines/lists.sql, so that the tokenizer model reads as its steps.
-#}

{#-
    The #link and #mention facets of `facets` (JSON) as a sorted list of byte ranges
    {cut_start, cut_end}, [start, end) into `text`'s UTF-8 bytes. A facet whose offsets are not
    non-negative integers, are reversed or run past the text, or with no such feature, is left out;
    a `facets` that is not a list gives null.
-#}
{% macro link_and_mention_ranges(facets, text) %}{{ return(adapter.dispatch('link_and_mention_ranges')(facets, text)) }}{% endmacro %}

{#-
    The pieces of `text` between the byte ranges `cuts` (sorted; overlapping ranges merge, as each
    piece starts after the furthest end so far), as a list of strings. A piece is null when a range
    splits a character (its offsets were wrong).
-#}
{% macro pieces_between_ranges(text, cuts) %}{{ return(adapter.dispatch('pieces_between_ranges')(text, cuts)) }}{% endmacro %}

{#- Whether the list `items` holds a null. -#}
{% macro has_null_element(items) %}{{ return(adapter.dispatch('has_null_element')(items)) }}{% endmacro %}

{#-
    `text` with every occurrence of each string in `strings` (a list, or null) replaced by a space.
    One pattern of the escaped strings, longest first where one starts another (reverse sort order
    puts "x.com/path" before "x.com"), so a longer string is never cut short.
-#}
{% macro without_each(text, strings) %}{{ return(adapter.dispatch('without_each')(text, strings)) }}{% endmacro %}
