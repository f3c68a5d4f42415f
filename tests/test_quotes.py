from pipeline.quotes import locate_quote

SOURCE = (
    "Cerebras announced a record.  It served Llama 4 Maverick at 2,522 tokens per second,\n"
    "ahead of NVIDIA's 1,038. Analysts called it “a material challenge”. Unrelated closing line."
)


def test_exact_quote_with_different_whitespace_and_quotes_maps_to_source_text():
    found = locate_quote('It served Llama 4 Maverick at 2,522 tokens per second, ahead of NVIDIA\'s 1,038.', SOURCE)
    assert found == "It served Llama 4 Maverick at 2,522 tokens per second,\nahead of NVIDIA's 1,038."
    assert found in SOURCE
    assert locate_quote('Analysts called it "a material challenge".', SOURCE) == "Analysts called it “a material challenge”."


def test_near_verbatim_quote_resolves_to_the_source_sentence():
    found = locate_quote("It served Llama 4 Maverick at 2,522 tokens per second ahead of NVIDIA's 1,038.", SOURCE)
    assert found is not None and found in SOURCE and "2,522" in found


def test_paraphrase_or_invention_is_not_verified():
    assert locate_quote("Cerebras is four times faster than every GPU on every model.", SOURCE) is None
    assert locate_quote("record", SOURCE) is None
    assert locate_quote("", SOURCE) is None
