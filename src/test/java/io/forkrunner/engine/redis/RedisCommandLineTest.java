package io.forkrunner.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A line of a file of Redis commands splits into the words redis-cli would send. */
class RedisCommandLineTest {

    @Test
    void wordsApartBySpaceAndQuotedWordsWithTheirEscapes() {
        assertThat(texts("  SET   app:greeting \"masked ✓\"\t")).containsExactly("SET", "app:greeting", "masked ✓");
        assertThat(texts("SET k \"a\\tb\\n\\\"q\\\"\\\\ \\x41\\z\"")).containsExactly("SET", "k", "a\tb\n\"q\"\\ Az");
        assertThat(texts("SET k 'it\\'s \"x\" \\n'")).containsExactly("SET", "k", "it's \"x\" \\n");
        assertThat(texts("SET k \"\" ''")).containsExactly("SET", "k", "", "");
        assertThat(texts("SET pre\"fixed word\" x")).containsExactly("SET", "prefixed word", "x");
        assertThat(texts("")).isEmpty();
    }

    @Test
    void aHexEscapeIsAByteNotText() {
        List<byte[]> words = RedisCommandLine.words("SET k \"\\xff\\x00\\x7F\"");

        assertThat(words.get(2)).containsExactly((byte) 0xff, (byte) 0x00, (byte) 0x7f);
    }

    @Test
    void anUnclosedQuoteOrAClosingQuoteInsideAWordIsRefused() {
        assertThatThrownBy(() -> RedisCommandLine.words("SET k \"open"))
                .hasMessageContaining("a quote is not closed in: SET k \"open");
        assertThatThrownBy(() -> RedisCommandLine.words("SET k 'open")).hasMessageContaining("a quote is not closed");
        assertThatThrownBy(() -> RedisCommandLine.words("SET k \"a\"b"))
                .hasMessageContaining("a closing quote must end its word");
    }

    private static List<String> texts(String line) {
        return RedisCommandLine.words(line).stream()
                .map(word -> new String(word, StandardCharsets.UTF_8))
                .toList();
    }
}
