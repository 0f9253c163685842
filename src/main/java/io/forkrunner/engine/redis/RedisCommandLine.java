package io.forkrunner.engine.redis;

import io.forkrunner.system.ForkrunnerException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The words of one Redis command line, quoted as {@code redis-cli} reads them: words apart by white space; in double
 * quotes, {@code \n \r \t \b \a}, {@code \xHH} (a byte) and a backslash before any other character stand for it; in
 * single quotes only {@code \'} is an escape. A closing quote must end its word. Words are bytes: a {@code \xHH} need not
 * be text.
 */
final class RedisCommandLine {

    private RedisCommandLine() {}

    static List<byte[]> words(String line) {
        byte[] text = line.getBytes(StandardCharsets.UTF_8);
        List<byte[]> words = new ArrayList<>();
        int i = 0;
        while (true) {
            while (i < text.length && isSpace(text[i])) {
                i++;
            }
            if (i == text.length) {
                return words;
            }
            ByteArrayOutputStream word = new ByteArrayOutputStream();
            char quote = 0;
            for (; ; i++) {
                if (i == text.length) {
                    if (quote != 0) {
                        throw new ForkrunnerException("a quote is not closed in: " + line);
                    }
                    break;
                }
                byte b = text[i];
                if (quote == '"') {
                    if (b == '\\'
                            && i + 3 < text.length
                            && text[i + 1] == 'x'
                            && isHex(text[i + 2])
                            && isHex(text[i + 3])) {
                        word.write(Character.digit(text[i + 2], 16) * 16 + Character.digit(text[i + 3], 16));
                        i += 3;
                    } else if (b == '\\' && i + 1 < text.length) {
                        i++;
                        word.write(
                                switch (text[i]) {
                                    case 'n' -> '\n';
                                    case 'r' -> '\r';
                                    case 't' -> '\t';
                                    case 'b' -> '\b';
                                    case 'a' -> 7;
                                    default -> text[i];
                                });
                    } else if (b == '"') {
                        closed(text, i, line);
                        quote = 0;
                    } else {
                        word.write(b);
                    }
                } else if (quote == '\'') {
                    if (b == '\\' && i + 1 < text.length && text[i + 1] == '\'') {
                        word.write('\'');
                        i++;
                    } else if (b == '\'') {
                        closed(text, i, line);
                        quote = 0;
                    } else {
                        word.write(b);
                    }
                } else if (isSpace(b)) {
                    break;
                } else if (b == '"' || b == '\'') {
                    quote = (char) b;
                } else {
                    word.write(b);
                }
            }
            words.add(word.toByteArray());
        }
    }

    private static void closed(byte[] text, int quote, String line) {
        if (quote + 1 < text.length && !isSpace(text[quote + 1])) {
            throw new ForkrunnerException("a closing quote must end its word, at byte " + (quote + 1) + " of: " + line);
        }
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == 0x0b;
    }

    private static boolean isHex(byte b) {
        return Character.digit(b, 16) >= 0;
    }
}
