/*
 * csv_test.c - tests for src/csv.c (the streaming CSV reader, cal_parse_double,
 * cal_format_fixed). Standalone: see spec/c/README.md. Prints one line per
 * failed check and ends with "N passed, N failed"; exit status 1 on failure.
 */
#define _POSIX_C_SOURCE 200809L

#include "../../src/csv.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long passed, failed;

static void check(int ok, const char *what, const char *detail)
{
    if (ok) { passed++; return; }
    failed++;
    printf("FAIL %s", what);
    if (detail) {
        printf(": ");
        for (; *detail; detail++) {
            if (*detail == '\n') printf("\\n");
            else putchar(*detail);
        }
    }
    printf("\n");
}

/* ------------------------------------------------------------ a growing string */

typedef struct { char *p; size_t n, cap; } str;

static void sput(str *s, const char *b, size_t n)
{
    if (s->n + n + 1 > s->cap) {
        size_t c = s->cap ? s->cap : 256;
        while (c < s->n + n + 1) c *= 2;
        s->p = realloc(s->p, c);
        if (!s->p) { printf("out of memory\n"); exit(2); }
        s->cap = c;
    }
    memcpy(s->p + s->n, b, n);
    s->n += n;
    s->p[s->n] = '\0';
}
static void sputs(str *s, const char *z) { sput(s, z, strlen(z)); }
static void sfree(str *s) { free(s->p); s->p = NULL; s->n = s->cap = 0; }

/* ------------------------------------------------------------ running the reader */

/* A read function that hands out the input in chunks of a chosen size, to
 * put record and field boundaries everywhere relative to the reads. */
typedef struct { const char *p; size_t n, pos, chunk; int fail_after; } feeder;

static long feed(void *ctx, char *buf, size_t n)
{
    feeder *f = ctx;
    size_t k = f->n - f->pos;
    if (f->fail_after >= 0 && f->pos >= (size_t)f->fail_after) return -1;
    if (k > n) k = n;
    if (k > f->chunk) k = f->chunk;
    memcpy(buf, f->p + f->pos, k);
    f->pos += k;
    return (long)k;
}

/* Renders every record as "LINE:[f1][f2]...{problem}\n" with bytes outside
 * printable ASCII as \xHH, and the final return code as "rc=N". */
static void render(cal_csv *r, str *out)
{
    const cal_field *f;
    size_t n, i, j;
    int rc;
    char tmp[64];
    while ((rc = cal_csv_next(r, &f, &n)) == 1) {
        snprintf(tmp, sizeof tmp, "%lld:", cal_csv_line(r));
        sputs(out, tmp);
        for (i = 0; i < n; i++) {
            sputs(out, "[");
            for (j = 0; j < f[i].len; j++) {
                unsigned char c = (unsigned char)f[i].ptr[j];
                if (c >= 0x20 && c < 0x7f && c != '\\') sput(out, (const char *)&c, 1);
                else { snprintf(tmp, sizeof tmp, "\\x%02X", c); sputs(out, tmp); }
            }
            sputs(out, "]");
        }
        if (cal_csv_problem(r)) { sputs(out, "{"); sputs(out, cal_csv_problem(r)); sputs(out, "}"); }
        sputs(out, "\n");
    }
    snprintf(tmp, sizeof tmp, "rc=%d", rc);
    sputs(out, tmp);
    /* after the end, it stays at the end */
    if (rc == 0) check(cal_csv_next(r, &f, &n) == 0, "next after EOF returns 0", NULL);
}

static void run(const char *in, size_t len, char delim, size_t chunk, size_t max_record, str *out)
{
    feeder fd = { in, len, 0, chunk, -1 };
    cal_csv *r = cal_csv_open_read(feed, &fd, delim);
    if (!r) { sputs(out, "open failed"); return; }
    if (max_record && cal_csv_set_limits(r, chunk < 4096 ? chunk : 4096, max_record) != 0)
        sputs(out, "set_limits failed");
    render(r, out);
    cal_csv_close(r);
}

static const size_t chunks[] = { 1, 2, 3, 5, 7, 13, 64, 1000, 1 << 20 };
#define NCHUNKS (sizeof chunks / sizeof chunks[0])

/* Checks that the input renders as expected, for every chunk size. */
static void expect_lim(const char *name, const char *in, size_t len, char delim, size_t max_record, const char *want)
{
    size_t i;
    for (i = 0; i < NCHUNKS; i++) {
        str out = { 0 };
        char what[200];
        run(in, len, delim, chunks[i], max_record, &out);
        snprintf(what, sizeof what, "%s (chunk %lu)", name, (unsigned long)chunks[i]);
        if (strcmp(out.p, want) != 0) {
            str d = { 0 };
            sputs(&d, "\n  want: "); sputs(&d, want); sputs(&d, "\n  got:  "); sputs(&d, out.p);
            check(0, what, d.p);
            sfree(&d);
            sfree(&out);
            return;     /* one report per case is enough */
        }
        check(1, what, NULL);
        sfree(&out);
    }
}

#define EXPECT(name, lit, want) expect_lim(name, lit, sizeof(lit) - 1, ',', 0, want)
#define EXPECT_D(name, lit, d, want) expect_lim(name, lit, sizeof(lit) - 1, d, 0, want)

/* ------------------------------------------------------------ edge cases */

static void test_basic(void)
{
    EXPECT("simple", "a,b,c\n1,2,3\n", "1:[a][b][c]\n2:[1][2][3]\nrc=0");
    EXPECT("no final newline", "a,b\n1,2", "1:[a][b]\n2:[1][2]\nrc=0");
    EXPECT("CRLF", "a,b\r\n1,2\r\n", "1:[a][b]\n2:[1][2]\nrc=0");
    EXPECT("CRLF no final newline, CR at EOF", "a,b\r\n1,2\r", "1:[a][b]\n2:[1][2]\nrc=0");
    EXPECT("mixed LF and CRLF", "a,b\n1,2\r\n3,4\n", "1:[a][b]\n2:[1][2]\n3:[3][4]\nrc=0");
    EXPECT("lone CR is data", "a\rb,c\n1,2\n", "1:[a\\x0Db][c]\n2:[1][2]\nrc=0");
    EXPECT("empty fields", ",,\n,,\n", "1:[][][]\n2:[][][]\nrc=0");
    EXPECT("trailing delimiter", "a,\nb,\n", "1:[a][]\n2:[b][]\nrc=0");
    EXPECT("empty file", "", "rc=0");
    EXPECT("header only", "id,x\n", "1:[id][x]\nrc=0");
    EXPECT("header only no newline", "id,x", "1:[id][x]\nrc=0");
    EXPECT("only newlines", "\n\n\r\n\n", "rc=0");
    EXPECT("blank lines skipped, lines counted", "\n\na,b\n\n\r\nc,d\n\n", "3:[a][b]\n6:[c][d]\nrc=0");
    EXPECT("whitespace is data", " a , b \n", "1:[ a ][ b ]\nrc=0");
    EXPECT("single field", "x\ny\n", "1:[x]\n2:[y]\nrc=0");
    EXPECT("empty quoted single field is not blank", "\"\"\n\"\"\n", "1:[]\n2:[]\nrc=0");
}

static void test_bom(void)
{
    EXPECT("BOM skipped", "\xEF\xBB\xBF" "a,b\n1,2\n", "1:[a][b]\n2:[1][2]\nrc=0");
    EXPECT("BOM only", "\xEF\xBB\xBF", "rc=0");
    EXPECT("BOM newline", "\xEF\xBB\xBF\n", "rc=0");
    EXPECT("BOM then quoted", "\xEF\xBB\xBF\"a\",b\n", "1:[a][b]\nrc=0");
    EXPECT("BOM only at start", "a\n\xEF\xBB\xBF" "b\n", "1:[a]\n2:[\\xEF\\xBB\\xBFb]\nrc=0");
    EXPECT("partial BOM is data", "\xEF\xBB" "a\n", "1:[\\xEF\\xBBa]{column 1: invalid UTF-8}\nrc=0");
}

static void test_quotes(void)
{
    EXPECT("quoted comma", "\"a,b\",c\n", "1:[a,b][c]\nrc=0");
    EXPECT("doubled quote", "\"say \"\"hi\"\"\",x\n", "1:[say \"hi\"][x]\nrc=0");
    EXPECT("only doubled quotes", "\"\"\"\"\"\",x\n", "1:[\"\"][x]\nrc=0");
    EXPECT("quoted newline, line numbers", "a,b\n\"1\n2\",3\nx,y\n",
           "1:[a][b]\n2:[1\\x0A2][3]\n4:[x][y]\nrc=0");
    EXPECT("quoted CRLF kept", "\"1\r\n2\",3\r\nx,y\r\n", "1:[1\\x0D\\x0A2][3]\n3:[x][y]\nrc=0");
    EXPECT("quoted empty", "\"\",\"\"\n", "1:[][]\nrc=0");
    EXPECT("quoted last field", "a,\"b\"\n", "1:[a][b]\nrc=0");
    EXPECT("quoted last field CRLF", "a,\"b\"\r\nc,d\r\n", "1:[a][b]\n2:[c][d]\nrc=0");
    EXPECT("quoted at EOF", "a,\"b\"", "1:[a][b]\nrc=0");
    EXPECT("many newlines in quotes", "\"\n\n\n\",x\ny,z\n", "1:[\\x0A\\x0A\\x0A][x]\n5:[y][z]\nrc=0");
    EXPECT("quote in unquoted field", "ab\"c,d\n", "1:[ab\"c][d]{column 1: stray quote}\nrc=0");
    EXPECT("space before quote", "a, \"b\"\n", "1:[a][ \"b\"]{column 2: stray quote}\nrc=0");
    EXPECT("stray quote does not open", "a\",b\nc,d\n", "1:[a\"][b]{column 1: stray quote}\n2:[c][d]\nrc=0");
    EXPECT("text after closing quote", "\"ab\"cd,e\n", "1:[abcd][e]{column 1: text after closing quote}\nrc=0");
    EXPECT("text after closing quote with quote", "\"ab\"c\"d,e\n",
           "1:[abc\"d][e]{column 1: text after closing quote}\nrc=0");
    EXPECT("unterminated quote at EOF", "a,b\n\"xy,z\n1,2\n",
           "1:[a][b]\n2:[xy,z\\x0A1,2\\x0A]{column 1: unterminated quote; 1 fields, expected 2}\nrc=0");
    EXPECT("unterminated quote keeps CR", "\"a\r", "1:[a\\x0D]{column 1: unterminated quote}\nrc=0");
    EXPECT("lone quote", "\"", "1:[]{column 1: unterminated quote}\nrc=0");
    EXPECT("quote quote at EOF", "x\n\"\"", "1:[x]\n2:[]\nrc=0");
    EXPECT("delimiter after quoted CR", "\"a\r\",b\n", "1:[a\\x0D][b]\nrc=0");
    EXPECT("several problems", "\"a\"b,c\"d,\"e\n",
           "1:[ab][c\"d][e\\x0A]{column 1: text after closing quote; column 2: stray quote; column 3: unterminated quote}\nrc=0");
}

static void test_ragged(void)
{
    EXPECT("ragged rows", "a,b,c\n1,2\n1,2,3,4\n1,2,3\n",
           "1:[a][b][c]\n2:[1][2]{2 fields, expected 3}\n3:[1][2][3][4]{4 fields, expected 3}\n4:[1][2][3]\nrc=0");
    {
        cal_csv *r = cal_csv_open_mem("a,b\n1\n", 6, ',');
        const cal_field *f;
        size_t n;
        check(cal_csv_expected_fields(r) == 0, "expected_fields before first record", NULL);
        cal_csv_next(r, &f, &n);
        check(cal_csv_expected_fields(r) == 2, "expected_fields after header", NULL);
        cal_csv_close(r);
    }
}

static void test_encoding(void)
{
    EXPECT("valid UTF-8", "caf\xC3\xA9,\xE2\x82\xAC,\xF0\x9D\x84\x9E\n",
           "1:[caf\\xC3\\xA9][\\xE2\\x82\\xAC][\\xF0\\x9D\\x84\\x9E]\nrc=0");
    EXPECT("lone continuation", "a,\x80" "b\n", "1:[a][\\x80b]{column 2: invalid UTF-8}\nrc=0");
    EXPECT("overlong", "\xC0\x80,x\n", "1:[\\xC0\\x80][x]{column 1: invalid UTF-8}\nrc=0");
    EXPECT("overlong 3", "\xE0\x80\xAF\n", "1:[\\xE0\\x80\\xAF]{column 1: invalid UTF-8}\nrc=0");
    EXPECT("surrogate", "x,\xED\xA0\x80\n", "1:[x][\\xED\\xA0\\x80]{column 2: invalid UTF-8}\nrc=0");
    EXPECT("above U+10FFFF", "\xF4\x90\x80\x80\n", "1:[\\xF4\\x90\\x80\\x80]{column 1: invalid UTF-8}\nrc=0");
    EXPECT("F5", "\xF5\x80\x80\x80\n", "1:[\\xF5\\x80\\x80\\x80]{column 1: invalid UTF-8}\nrc=0");
    EXPECT("truncated sequence at field end", "\xE2\x82,x\n", "1:[\\xE2\\x82][x]{column 1: invalid UTF-8}\nrc=0");
    EXPECT("truncated sequence at EOF", "x,\xF0\x9D\x84", "1:[x][\\xF0\\x9D\\x84]{column 2: invalid UTF-8}\nrc=0");
    EXPECT("invalid UTF-8 in quoted field", "\"\xFF\n\",x\n", "1:[\\xFF\\x0A][x]{column 1: invalid UTF-8}\nrc=0");
    EXPECT("UTF-8 split by delimiter", "\xC3,\xA9\n", "1:[\\xC3][\\xA9]{column 1: invalid UTF-8; column 2: invalid UTF-8}\nrc=0");
    expect_lim("NUL byte", "a,b\0c,d\n", 8, ',', 0, "1:[a][b\\x00c][d]{column 2: NUL byte}\nrc=0");
    expect_lim("NUL in quotes", "\"\0\",x\n", 6, ',', 0, "1:[\\x00][x]{column 1: NUL byte}\nrc=0");
    expect_lim("NUL only", "\0", 1, ',', 0, "1:[\\x00]{column 1: NUL byte}\nrc=0");
    EXPECT("clean record after dirty one", "\xFF\nabcdefghijklmnop,q\n",
           "1:[\\xFF]{column 1: invalid UTF-8}\n2:[abcdefghijklmnop][q]{2 fields, expected 1}\nrc=0");
}

static void test_delims(void)
{
    EXPECT_D("semicolon", "a;b,c;\"d;e\"\n", ';', "1:[a][b,c][d;e]\nrc=0");
    EXPECT_D("tab", "a\tb c\t\"d\te\"\n", '\t', "1:[a][b c][d\\x09e]\nrc=0");
    EXPECT_D("pipe", "a|b\n", '|', "1:[a][b]\nrc=0");
    EXPECT_D("high-byte delimiter", "a\xA7" "b\n", (char)0xA7, "1:[a][b]\nrc=0");
    check(cal_csv_open_mem("", 0, '"') == NULL, "quote is not a delimiter", NULL);
    check(cal_csv_open_mem("", 0, '\n') == NULL, "LF is not a delimiter", NULL);
    check(cal_csv_open_mem("", 0, '\r') == NULL, "CR is not a delimiter", NULL);
    check(cal_csv_open_mem("", 0, '\0') == NULL, "NUL is not a delimiter", NULL);
}

static void repeat(str *s, char c, size_t n)
{
    char b[4096];
    memset(b, c, sizeof b);
    while (n) {
        size_t k = n < sizeof b ? n : sizeof b;
        sput(s, b, k);
        n -= k;
    }
}

static void test_long(void)
{
    str in = { 0 }, want = { 0 };
    char tmp[300];
    const cal_field *f;
    size_t n;
    cal_csv *r;

    /* a 3 MiB unquoted and a 3 MiB quoted field, default limits */
    sputs(&in, "a,");
    repeat(&in, 'x', 3u << 20);
    sputs(&in, ",\"");
    repeat(&in, 'y', 3u << 20);
    sputs(&in, "\"\nb,c,d\n");
    r = cal_csv_open_mem(in.p, in.n, ',');
    check(cal_csv_next(r, &f, &n) == 1 && n == 3 && f[1].len == (3u << 20) && f[2].len == (3u << 20)
          && f[1].ptr[0] == 'x' && f[1].ptr[f[1].len - 1] == 'x' && f[2].ptr[0] == 'y'
          && f[2].ptr[f[2].len - 1] == 'y' && !cal_csv_problem(r), "3 MiB fields", NULL);
    check(cal_csv_next(r, &f, &n) == 1 && n == 3 && cal_csv_line(r) == 2 && f[2].len == 1, "record after 3 MiB fields", NULL);
    check(cal_csv_next(r, &f, &n) == 0, "EOF after 3 MiB fields", NULL);
    cal_csv_close(r);
    sfree(&in);

    /* over the (small) limit: cut, rest of record skipped, lines still right */
    sputs(&in, "h1,h2,h3\nok,1,2\nab,");
    repeat(&in, 'z', 500);
    sputs(&in, ",tail\nx,y,z\n\"");
    repeat(&in, 'q', 300);
    sputs(&in, "\n\n");
    repeat(&in, 'q', 300);
    sputs(&in, "\",2,3\nlast,1,2\n");
    snprintf(tmp, sizeof tmp,
             "1:[h1][h2][h3]\n2:[ok][1][2]\n3:[ab][]{column 2: field too long (record over 100 bytes); rest of record skipped}\n"
             "4:[x][y][z]\n5:[]{column 1: field too long (record over 100 bytes); rest of record skipped}\n8:[last][1][2]\nrc=0");
    sputs(&want, tmp);
    expect_lim("field too long (limit 100)", in.p, in.n, ',', 100, want.p);
    sfree(&in);
    sfree(&want);

    /* unterminated quote that is also too long: skipped to EOF */
    sputs(&in, "a,b\nc,\"");
    repeat(&in, 'w', 1000);
    sputs(&in, "\nx,y\n");
    expect_lim("too long and unterminated", in.p, in.n, ',', 64, "1:[a][b]\n2:[c][]{column 2: field too long (record over 64 bytes); "
               "rest of record skipped; column 2: unterminated quote}\nrc=0");
    sfree(&in);

    /* too long exactly at the limit boundary and records exactly at the limit */
    sputs(&in, "0123456789\n012345678\n01234567890\nz\n");
    expect_lim("limit boundary", in.p, in.n, ',', 10, "1:[0123456789]\n"
               "2:[012345678]\n3:[]{column 1: field too long (record over 10 bytes); rest of record skipped}\n4:[z]\nrc=0");
    sfree(&in);
    sputs(&in, "0123456789\r\n01234567890\r\n012,4567\r\n0123456789");
    expect_lim("limit boundary CRLF", in.p, in.n, ',', 10, "1:[0123456789]\n"
               "2:[]{column 1: field too long (record over 10 bytes); rest of record skipped}\n"
               "3:[012][4567]{2 fields, expected 1}\n4:[0123456789]\nrc=0");
    sfree(&in);

    /* too many fields */
    sputs(&in, "a\n");
    repeat(&in, ',', 200000);
    sputs(&in, "\nb\n");
    r = cal_csv_open_mem(in.p, in.n, ',');
    cal_csv_next(r, &f, &n);
    check(cal_csv_next(r, &f, &n) == 1 && n == CAL_CSV_MAX_FIELDS && cal_csv_problem(r)
          && strstr(cal_csv_problem(r), "200001 fields, expected 1")
          && strstr(cal_csv_problem(r), "more than 100000 fields; extra fields dropped"), "too many fields",
          cal_csv_problem(r));
    check(cal_csv_next(r, &f, &n) == 1 && n == 1 && cal_csv_line(r) == 3, "record after too many fields", NULL);
    cal_csv_close(r);
    sfree(&in);

}

static long fail_read(void *ctx, char *buf, size_t n)
{
    (void)ctx; (void)buf; (void)n;
    return -1;
}

static void test_sources(void)
{
    const char *text = "\xEF\xBB\xBFid,v\r\n1,\"a\nb\"\r\n2,c\r\n";
    const char *want = "1:[id][v]\n2:[1][a\\x0Ab]\n4:[2][c]\nrc=0";
    str out = { 0 };
    FILE *f = tmpfile();
    cal_csv *r;
    feeder fd = { "a,b\nc,d\ne,f\n", 12, 0, 4, 5 };
    const cal_field *fl;
    size_t n;

    check(f != NULL, "tmpfile", NULL);
    if (!f) return;
    fputs(text, f);
    fflush(f);
    rewind(f);
    r = cal_csv_open_file(f, ',');
    render(r, &out);
    check(strcmp(out.p, want) == 0, "open_file", out.p);
    cal_csv_close(r);
    sfree(&out);

    lseek(fileno(f), 0, SEEK_SET);
    r = cal_csv_open_fd(fileno(f), ',');
    render(r, &out);
    check(strcmp(out.p, want) == 0, "open_fd", out.p);
    cal_csv_close(r);
    sfree(&out);
    fclose(f);

    r = cal_csv_open_fd(-1, ',');
    check(cal_csv_next(r, &fl, &n) == -1, "bad fd gives -1", NULL);
    check(cal_csv_next(r, &fl, &n) == -1, "error is sticky", NULL);
    cal_csv_close(r);

    r = cal_csv_open_read(fail_read, NULL, ',');
    check(cal_csv_next(r, &fl, &n) == -1, "read error at start", NULL);
    cal_csv_close(r);

    r = cal_csv_open_read(feed, &fd, ',');
    check(cal_csv_set_limits(r, 4, 100) == 0, "set_limits", NULL);
    check(cal_csv_next(r, &fl, &n) == 1 && n == 2, "record before read error", NULL);
    check(cal_csv_next(r, &fl, &n) == 1 && n == 2, "second record before read error", NULL);
    check(cal_csv_next(r, &fl, &n) == -1, "read error mid-stream", NULL);
    check(cal_csv_next(r, &fl, &n) == -1, "read error mid-stream is sticky", NULL);
    check(cal_csv_set_limits(r, 4, 100) == -1, "set_limits too late", NULL);
    cal_csv_close(r);

    r = cal_csv_open_mem("x", 1, ',');
    check(cal_csv_set_limits(r, 0, 100) == -1, "set_limits block 0", NULL);
    check(cal_csv_set_limits(r, 10, 0) == -1, "set_limits max_record 0", NULL);
    cal_csv_close(r);
    cal_csv_close(NULL);
    check(cal_csv_open_read(NULL, NULL, ',') == NULL, "open_read without function", NULL);
    check(cal_csv_open_file(NULL, ',') == NULL, "open_file NULL", NULL);
}

/* ------------------------------------------------------------ malformed corpus */

static void test_corpus(void)
{
    /* Each must parse without crashing, give the same result for every chunk
     * size, and yield records in increasing line order. */
    static const char *const corpus[] = {
        "\"", "\"\"", "\"\"\"", "\"\"\"\"", ",", ",\n", "\n,", "\r", "\r\r\n", "\r\n\r\n",
        "a\"", "\"a", "\"a\"\"", "\"a\"\"\n", "\"a\"b\"c\"\n", "a,\"", "a,\"\n\n\n", "\"\r\n",
        "\xEF\xBB\xBF\"", "\xEF\xBB\xBF\r\n\"x\"", "\xEF\xBB\xBF\xEF\xBB\xBF", "\xEF",
        "\xFF\xFE", "\xFE\xFF\x00\x61", "a\x00\n\x00", "\xC3", "\xC3\n\xA9", "\",\",\",\"",
        "\"\n\"\n\"\n\"", "a,b\nc\nd,e,f\n\"\"\"\n", "\t;,|", ",\"\",\"\"\"\",",
        "\"x\"\"\"y,\"\"z\"", "x\"\"y", "\n\n\n\n\"\n\n", "a,\"b\"\r", "a,\"b\"\rc\n",
    };
    size_t i, c;
    for (i = 0; i < sizeof corpus / sizeof corpus[0]; i++) {
        const char *in = corpus[i];
        size_t len = strlen(in);
        str first = { 0 };
        char what[64];
        if (i == 23) len = 4;                 /* has a NUL */
        if (i == 24) len = 4;
        run(in, len, ',', 1 << 20, 0, &first);
        for (c = 0; c < NCHUNKS; c++) {
            str out = { 0 };
            run(in, len, ',', chunks[c], 0, &out);
            snprintf(what, sizeof what, "corpus #%lu chunk %lu", (unsigned long)i, (unsigned long)chunks[c]);
            check(strcmp(out.p, first.p) == 0, what, out.p);
            sfree(&out);
        }
        run(in, len, ',', 3, 2, &first);      /* tiny limit too */
        sfree(&first);
    }
}

/* ------------------------------------------------------------ randomized */

static uint64_t rng_state;
static uint64_t rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}
static double rnd01(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

/* Random tables written per RFC 4180 must read back exactly. */
static void test_roundtrip(void)
{
    static const char *const atoms[] = { "a", "b", "7", " ", ",", ";", "\t", "\"", "\"\"", "\n", "\r\n", "\r",
                                         "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9D\x84\x9E", "xyz", "-1.5e3" };
    const size_t natoms = sizeof atoms / sizeof atoms[0];
    static const char delims[] = { ',', ';', '\t' };
    int iter;
    long bad = 0;
    for (iter = 0; iter < 3000; iter++) {
        char d = delims[rnd() % 3];
        size_t ncol = 1 + rnd() % 6, nrow = 1 + rnd() % 12, i, j, k;
        int crlf = (int)(rnd() % 2), bom = (int)(rnd() % 4 == 0), final_nl = (int)(rnd() % 4 != 0);
        str text = { 0 }, fields[12][6];
        long long lines[12], line = 1;
        cal_csv *r;
        feeder fd;
        const cal_field *f;
        size_t n;
        int ok = 1;
        if (bom) sputs(&text, "\xEF\xBB\xBF");
        for (i = 0; i < nrow; i++) {
            lines[i] = line;
            for (j = 0; j < ncol; j++) {
                str *fs = &fields[i][j];
                size_t na = rnd() % 5, p;
                int quote;
                memset(fs, 0, sizeof *fs);
                sputs(fs, "");
                for (k = 0; k < na; k++) sputs(fs, atoms[rnd() % natoms]);
                quote = (ncol == 1 && fs->n == 0) || rnd() % 3 == 0;
                for (p = 0; p < fs->n; p++)
                    if (fs->p[p] == d || fs->p[p] == '"' || fs->p[p] == '\n' || fs->p[p] == '\r') quote = 1;
                if (j) sput(&text, &d, 1);
                if (quote) {
                    sputs(&text, "\"");
                    for (p = 0; p < fs->n; p++) {
                        if (fs->p[p] == '"') sputs(&text, "\"");
                        if (fs->p[p] == '\n') line++;
                        sput(&text, fs->p + p, 1);
                    }
                    sputs(&text, "\"");
                } else {
                    sput(&text, fs->p, fs->n);
                }
            }
            if (i + 1 < nrow || final_nl) sputs(&text, crlf ? "\r\n" : "\n");
            line++;
        }
        fd.p = text.p; fd.n = text.n; fd.pos = 0; fd.chunk = 1 + rnd() % 40; fd.fail_after = -1;
        r = cal_csv_open_read(feed, &fd, d);
        cal_csv_set_limits(r, 1 + rnd() % 64, CAL_CSV_MAX_RECORD);
        for (i = 0; i < nrow && ok; i++) {
            if (cal_csv_next(r, &f, &n) != 1 || n != ncol || cal_csv_line(r) != lines[i]) { ok = 0; break; }
            for (j = 0; j < ncol; j++)
                if (f[j].len != fields[i][j].n || memcmp(f[j].ptr, fields[i][j].p, f[j].len) != 0) ok = 0;
            if (cal_csv_problem(r)) ok = 0;
        }
        if (ok && cal_csv_next(r, &f, &n) != 0) ok = 0;
        cal_csv_close(r);
        if (!ok && bad++ < 3) {
            char what[64];
            snprintf(what, sizeof what, "round trip #%d (delim %d)", iter, d);
            check(0, what, text.p);
        } else if (ok) {
            passed++;
        } else {
            failed++;
        }
        for (i = 0; i < nrow; i++)
            for (j = 0; j < ncol; j++) sfree(&fields[i][j]);
        sfree(&text);
    }
}

/* Random garbage: no crash (the sanitizers watch), the same result whatever
 * the read sizes, and lines that only go up. */
static void test_fuzz(void)
{
    static const char alphabet[] = "ab,;\"\"\"\n\n\r\t \xC3\xA9\xFF\x80\xEF\xBB\xBF";
    int iter;
    long bad = 0;
    for (iter = 0; iter < 4000; iter++) {
        size_t len = rnd() % 80, i;
        char in[80];
        str a = { 0 }, b = { 0 };
        int ok;
        for (i = 0; i < len; i++)
            in[i] = (rnd() % 16 == 0) ? (char)(rnd() & 0xFF) : alphabet[rnd() % (sizeof alphabet - 1)];
        if (rnd() % 8 == 0) { in[0] = '\xEF'; if (len > 2) { in[1] = '\xBB'; in[2] = '\xBF'; } }
        {
            size_t lim = (rnd() % 3 == 0) ? 1 + rnd() % 30 : 0;
            run(in, len, ',', 1 << 20, lim, &a);
            run(in, len, ',', 1 + rnd() % 7, lim, &b);
        }
        ok = strcmp(a.p, b.p) == 0;
        {
            /* line numbers increase, and do not exceed LFs + 1 */
            long long last = 0, lf = 1;
            const char *p = a.p;
            for (i = 0; i < len; i++) lf += in[i] == '\n';
            while (*p && ok) {
                long long l = strtoll(p, NULL, 10);
                if (strncmp(p, "rc=", 3) == 0) break;
                if (l <= last || l > lf) ok = 0;
                last = l;
                p = strchr(p, '\n');
                if (!p) break;
                p++;
            }
        }
        if (!ok && bad++ < 3) {
            str d = { 0 };
            sputs(&d, "\n  "); sputs(&d, a.p); sputs(&d, "\n  "); sputs(&d, b.p);
            check(0, "fuzz: chunking changes the result or lines go wrong", d.p);
            sfree(&d);
        } else if (ok) passed++;
        else failed++;
        sfree(&a);
        sfree(&b);
    }
}

/* Mostly plain records (few quotes, some CRs, blank lines, NULs, high
 * bytes, ragged rows, limits), longer than test_fuzz's: the reader's
 * one-pass path for a plain record (read all at once) must give what its
 * two passes give (reads of 1 to 7 bytes, which leave the one-pass path
 * too few bytes to look at). */
static void test_fuzz_plain(void)
{
    static const char alphabet[] = "abcdefgh0123456789.;,,,,,,\n\n\r \t";
    int iter;
    long bad = 0;
    for (iter = 0; iter < 4000; iter++) {
        size_t len = rnd() % 600, i;
        char in[600];
        str a = { 0 }, b = { 0 };
        for (i = 0; i < len; i++) {
            unsigned k = (unsigned)(rnd() % 400);
            in[i] = k == 0 ? '"' : k == 1 ? '\0' : k == 2 ? (char)0xC3 : alphabet[rnd() % (sizeof alphabet - 1)];
        }
        {
            size_t lim = (rnd() % 4 == 0) ? 1 + rnd() % 80 : 0;
            char d = rnd() % 4 == 0 ? ';' : ',';
            run(in, len, d, 1 << 20, lim, &a);
            run(in, len, d, 1 + rnd() % 7, lim, &b);
        }
        if (strcmp(a.p, b.p) != 0 && bad++ < 3) {
            str d = { 0 };
            sputs(&d, "\n  "); sputs(&d, a.p); sputs(&d, "\n  "); sputs(&d, b.p);
            check(0, "fuzz (plain records): the one-pass path differs from the two passes", d.p);
            sfree(&d);
        } else if (strcmp(a.p, b.p) == 0) passed++;
        else failed++;
        sfree(&a);
        sfree(&b);
    }
}

/* The reader's block scan for the processor (AVX2 where it has it) against
 * its baseline one (SSE2), on random records, mostly plain and of 0 to
 * about 200 bytes (so that they end in every place of a 64-byte block),
 * with the delimiters, LFs, CRs, quotes, NULs and high bytes that its
 * masks find or tell: the same records and problems, read all at once
 * (the one-pass path) or in 64-byte reads. */
static void test_simd(void)
{
    static const char alphabet[] = "abcdefgh0123456789.;,,,,,,,,\n\r \t";
    int iter;
    long bad = 0;
    for (iter = 0; iter < 4000; iter++) {
        size_t len = rnd() % 1500, i, chunk = rnd() % 2 ? 1 << 20 : 64;
        char in[1500];
        char d = rnd() % 4 == 0 ? ';' : ',';
        str a = { 0 }, b = { 0 };
        unsigned odd = (unsigned)(rnd() % 3); /* 0: plain; 1, 2: sometimes a quote, NUL or high byte */
        size_t rowlen = 1 + rnd() % 200, at = 0;
        for (i = 0; i < len; i++) {
            unsigned k = (unsigned)(rnd() % 600);
            if (++at >= rowlen) { in[i] = '\n'; at = 0; rowlen = 1 + rnd() % 200; continue; }
            in[i] = odd && k == 0 ? '"' : odd && k == 1 ? '\0' : odd && k == 2 ? (char)0xC3
                  : odd && k == 3 ? (char)0x80 : odd == 2 && k == 4 ? '\n' : alphabet[rnd() % (sizeof alphabet - 1)];
        }
        {
            feeder fa = { in, len, 0, chunk, -1 }, fb = { in, len, 0, chunk, -1 };
            cal_csv *ra = cal_csv_open_read(feed, &fa, d), *rb = cal_csv_open_read(feed, &fb, d);
            check(ra && rb && cal_csv_use_baseline(rb) == 0, "simd: open, use_baseline", NULL);
            if (ra && rb) {
                render(ra, &a);
                render(rb, &b);
                check(cal_csv_use_baseline(rb) == -1, "simd: use_baseline after the first record is refused", NULL);
            }
            cal_csv_close(ra);
            cal_csv_close(rb);
        }
        if (a.p && b.p && strcmp(a.p, b.p) == 0) passed++;
        else if (bad++ < 3) {
            str m = { 0 };
            sputs(&m, "\n  "); sputs(&m, a.p ? a.p : "-"); sputs(&m, "\n  "); sputs(&m, b.p ? b.p : "-");
            check(0, "simd: the processor's block scan differs from the baseline one", m.p);
            sfree(&m);
        } else failed++;
        sfree(&a);
        sfree(&b);
    }
}

/* A long stream through small blocks: exercises buffer compaction, and the
 * buffer must not grow (memory stays flat). */
static void test_stream(void)
{
    str in = { 0 };
    int i;
    long recs = 0, bad = 0;
    cal_csv *r;
    const cal_field *f;
    size_t n;
    char row[64];
    for (i = 0; i < 200000; i++) {
        snprintf(row, sizeof row, i % 7 ? "P%07d,%d,\"q,%d\"\n" : "P%07d,%d,x%d\r\n", i, i % 100, i);
        sputs(&in, row);
    }
    r = cal_csv_open_mem(in.p, in.n, ',');
    cal_csv_set_limits(r, 1000, 1 << 20);
    while (cal_csv_next(r, &f, &n) == 1) {
        snprintf(row, sizeof row, "P%07ld", recs);
        if (n != 3 || f[0].len != 8 || memcmp(f[0].ptr, row, 8) != 0 || cal_csv_line(r) != recs + 1) bad++;
        recs++;
    }
    cal_csv_close(r);
    check(recs == 200000 && bad == 0, "200000-record stream through 1000-byte blocks", NULL);
    sfree(&in);
}

/* ------------------------------------------------------------ numbers */

static void test_parse_double(void)
{
    static const struct { const char *s; int ok; double v; } cases[] = {
        { "0", 1, 0.0 }, { "-0", 1, -0.0 }, { "+0", 1, 0.0 }, { "1", 1, 1.0 }, { "12.5", 1, 12.5 },
        { "-3.25", 1, -3.25 }, { ".5", 1, 0.5 }, { "5.", 1, 5.0 }, { "1e3", 1, 1000.0 },
        { "1E-2", 1, 0.01 }, { "2.5e+2", 1, 250.0 }, { "0.1", 1, 0.1 }, { "0.3", 1, 0.3 },
        { "4.35", 1, 4.35 }, { "142", 1, 142.0 }, { "0.9938", 1, 0.9938 },
        { "000123.4500", 1, 123.45 }, { "9007199254740993", 1, 9007199254740993.0 },
        { "123456789012345678901234567890", 1, 123456789012345678901234567890.0 },
        { "1e308", 1, 1e308 }, { "1.7976931348623157e308", 1, DBL_MAX },
        { "4.9e-324", 1, 4.9e-324 }, { "1e-400", 1, 0.0 }, { "1e400", 0, 0 }, { "-1e400", 0, 0 },
        { "2.2250738585072011e-308", 1, 2.2250738585072011e-308 },
        { "0.000000000000000000000000000001", 1, 1e-30 }, { "1e0000000000000000000001", 1, 10.0 },
        { "", 0, 0 }, { "-", 0, 0 }, { "+", 0, 0 }, { ".", 0, 0 }, { "-.", 0, 0 }, { "e5", 0, 0 },
        { "1e", 0, 0 }, { "1e+", 0, 0 }, { "1.2.3", 0, 0 }, { "1,5", 0, 0 }, { " 1", 0, 0 },
        { "1 ", 0, 0 }, { "1x", 0, 0 }, { "nan", 0, 0 }, { "NaN", 0, 0 }, { "inf", 0, 0 },
        { "-inf", 0, 0 }, { "infinity", 0, 0 }, { "0x10", 0, 0 }, { "--1", 0, 0 }, { "+-1", 0, 0 },
        { "1e5.5", 0, 0 }, { "1d5", 0, 0 },
    };
    size_t i;
    char what[128];
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = 12345.0;
        int ok = cal_parse_double(cases[i].s, strlen(cases[i].s), &v);
        snprintf(what, sizeof what, "parse_double(\"%s\")", cases[i].s);
        if (cases[i].ok)
            check(ok == 1 && memcmp(&v, &cases[i].v, sizeof v) == 0, what, NULL);
        else
            check(ok == 0 && v == 12345.0, what, "should be rejected");
    }
    {
        double v;
        check(cal_parse_double("1.5x", 3, &v) == 1 && v == 1.5, "parse_double uses the length, not NUL", NULL);
        check(cal_parse_double("1\0", 2, &v) == 0, "parse_double rejects NUL inside", NULL);
    }
    {
        /* random numbers in many shapes, compared bit for bit with strtod */
        long bad = 0, n = 0;
        int iter;
        char first[100] = "";
        for (iter = 0; iter < 1000000; iter++) {
            char s[64];
            double want, got = 0;
            int len, ok;
            unsigned shape = (unsigned)(rnd() % 8);
            double x = rnd01();
            if (shape == 0) len = snprintf(s, sizeof s, "%.1f", x * 20);
            else if (shape == 1) len = snprintf(s, sizeof s, "%.2f", x * 1000);
            else if (shape == 2) len = snprintf(s, sizeof s, "%.17g", ldexp(x, (int)(rnd() % 200) - 100));
            else if (shape == 3) len = snprintf(s, sizeof s, "%.*e", (int)(rnd() % 20), (x - 0.5) * 1e10);
            else if (shape == 4) len = snprintf(s, sizeof s, "%llu.%llu", (unsigned long long)(rnd() % 100000000000ULL),
                                                (unsigned long long)(rnd() % 10000000000ULL));
            else if (shape == 5) len = snprintf(s, sizeof s, "-%llue-%d", (unsigned long long)(rnd() >> (rnd() % 64)), (int)(rnd() % 30));
            else if (shape == 6) /* short decimals with a sign, up to 16 bytes */
                len = snprintf(s, sizeof s, "%s%.*f", rnd() % 2 ? "-" : "", (int)(rnd() % 8), x * pow(10, (double)(rnd() % 9)));
            else { /* no digit before the point, or none after it */
                len = snprintf(s, sizeof s, "%.*f", (int)(rnd() % 12), x);
                if (s[0] == '0' && s[1] == '.') { memmove(s, s + 1, (size_t)len); len--; } /* ".25" */
                else if (!strchr(s, '.')) { s[len++] = '.'; s[len] = '\0'; }             /* "1." */
            }
            want = strtod(s, NULL);
            ok = cal_parse_double(s, (size_t)len, &got);
            n++;
            if (!ok || memcmp(&got, &want, sizeof got) != 0) {
                if (!bad) snprintf(first, sizeof first, "e.g. \"%s\"", s);
                bad++;
            }
        }
        snprintf(what, sizeof what, "parse_double equals strtod on %ld random inputs (%ld differ)", n, bad);
        check(bad == 0, what, bad ? first : NULL);
    }
    {
        /* short texts of digits, points, signs and other bytes: the inline
         * parser takes and rejects what the general one does, with the same
         * value bit for bit */
        static const char alpha[] = "0123456789012345678900..-+eE x/";
        long bad = 0, n = 0, taken = 0;
        int iter;
        char first[100] = "";
        for (iter = 0; iter < 2000000; iter++) {
            char s[16];
            size_t len = (size_t)(rnd() % 11), i;
            double a = -1, b = -2;
            int oka, okb;
            for (i = 0; i < len; i++) s[i] = alpha[rnd() % (sizeof alpha - 1)];
            if (rnd() % 4 == 0) for (i = 0; i < len; i++) if (s[i] < '0' || s[i] > '9') s[i] = (char)('0' + rnd() % 10);
            s[len] = '\0';
            oka = cal_parse_double(s, len, &a);
            okb = cal_parse_double_general(s, len, &b);
            n++;
            taken += oka;
            if (oka != okb || (oka && memcmp(&a, &b, sizeof a) != 0)) {
                if (!bad) snprintf(first, sizeof first, "e.g. \"%s\"", s);
                bad++;
            }
        }
        snprintf(what, sizeof what, "parse_double equals parse_double_general on %ld short texts (%ld numbers; %ld differ)",
                 n, taken, bad);
        check(bad == 0 && taken > n / 10, what, bad ? first : NULL);
    }
    {
        /* every text of 1 to 6 bytes of digits and points (what lab cells
         * hold), and random ones of 7 to 9 bytes with a sign or another
         * byte here and there: the same answer and the same bits as
         * parse_double_general */
        static const char alpha[] = "0123456789.";
        long bad = 0, n = 0, taken = 0, total = 0, k;
        size_t len;
        char first[100] = "";
        for (len = 1; len <= 9; len++) {
            long count = 1;
            size_t i;
            for (i = 0; i < len && count < 2000000; i++) count *= 11;
            if (len > 6) count = 300000;
            for (k = 0; k < count; k++) {
                char s[16];
                double a = -1, b = -2;
                int oka, okb;
                long c = k;
                for (i = 0; i < len; i++) {
                    if (len <= 6) { s[i] = alpha[c % 11]; c /= 11; }
                    else s[i] = alpha[rnd() % 11];
                }
                if (len > 6 && rnd() % 8 == 0) s[rnd() % len] = "-+e x"[rnd() % 5];
                s[len] = '\0';
                oka = cal_parse_double(s, len, &a);
                okb = cal_parse_double_general(s, len, &b);
                n++;
                taken += oka;
                if (oka != okb || (oka && memcmp(&a, &b, sizeof a) != 0)) {
                    if (!bad) snprintf(first, sizeof first, "e.g. \"%s\"", s);
                    bad++;
                }
            }
            total += count;
        }
        snprintf(what, sizeof what, "parse_double equals parse_double_general on %ld texts of digits and points (%ld numbers; %ld differ)",
                 n, taken, bad);
        check(bad == 0 && taken > n / 3 && total == n, what, bad ? first : NULL);
    }
    {
        /* the short path (cal_parse_short): 1 to 6 bytes, mostly digits
         * and points, some any byte (NUL, >= 0x80, the neighbours of '0'-'9'
         * and '.'): it takes only what the general parser takes, with the
         * same bits, and it takes every 1 to 4 bytes of digits with at most
         * one point between two digits */
        static const char near[] = "/:-.,+ eE0019";
        long bad = 0, n = 0, taken = 0, plain = 0, iter;
        char first[100] = "";
        for (iter = 0; iter < 2000000; iter++) {
            char s[8];
            size_t len = 1 + (size_t)(rnd() % 6), i;
            double a = -1, b = -2;
            int oka, okb, digits = 1, points = 0;
            for (i = 0; i < len; i++) {
                unsigned r = rnd() % 16;
                s[i] = r < 11 ? "0123456789."[r] : r < 14 ? near[rnd() % (sizeof near - 1)] : (char)(rnd() % 256);
                if (s[i] == '.') points++;
                else if (s[i] < '0' || s[i] > '9') digits = 0;
            }
            oka = cal_parse_short(s, len, &a);
            okb = cal_parse_double_general(s, len, &b);
            n++;
            taken += oka;
            if (len <= 4 && digits && points <= 1 && s[0] != '.' && s[len - 1] != '.') {
                plain++;
                if (!oka) { if (!bad) snprintf(first, sizeof first, "not taken: \"%.*s\"", (int)len, s); bad++; }
            }
            if (oka && (!okb || memcmp(&a, &b, sizeof a) != 0)) {
                if (!bad) snprintf(first, sizeof first, "e.g. \"%.*s\"", (int)len, s);
                bad++;
            }
        }
        snprintf(what, sizeof what, "parse_short agrees with parse_double_general on %ld texts (%ld taken, %ld plain; %ld differ)",
                 n, taken, plain, bad);
        check(bad == 0 && taken > n / 20 && taken == plain, what, bad ? first : NULL);
    }
}

static void format_one(double v, int d, long *bad)
{
    char a[512], b[512], c[512];
    size_t n = cal_format_fixed(a, sizeof a, v, d), n2;
    int m = snprintf(b, sizeof b, "%.*f", d, v);
    /* and with just the room the text needs (below 32 bytes: the other path) */
    n2 = m >= 0 && (size_t)m < sizeof c ? cal_format_fixed(c, (size_t)m + 1, v, d) : n;
    if (n2 != n || (m >= 0 && (size_t)m < sizeof c && strcmp(c, b) != 0)) {
        if ((*bad)++ < 5)
            printf("FAIL format_fixed(%.17g, %d) in %d bytes: got \"%s\", printf gives \"%s\"\n", v, d, m + 1, c, b);
    }
    if ((size_t)m != n || strcmp(a, b) != 0) {
        if ((*bad)++ < 5)
            printf("FAIL format_fixed(%.17g, %d): got \"%s\", printf gives \"%s\"\n", v, d, a, b);
    }
}

static void test_format_fixed(void)
{
    static const double fixed[] = { 0.0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 1.005, 2.675, 1.0 / 3,
                                    -0.001, -0.004, -0.005, 0.045, 9.995, 99.995, 0.05, 1e15, 4503599627370495.5,
                                    4503599627370496.0, 1e300, -1e300, 5e-324, 123456.789, 70.05, 10.5, 30.0 };
    long bad = 0, n = 0;
    size_t i;
    int d, iter;
    char b[64];
    for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        for (d = 0; d <= 20; d++) { format_one(fixed[i], d, &bad); n++; }
    { /* around each power of ten, where the digit count changes */
        double p = 1;
        int e;
        for (e = 0; e <= 16; e++, p *= 10)
            for (d = 0; d <= 4; d++) {
                format_one(p, d, &bad); format_one(p - 1, d, &bad); format_one(p + 1, d, &bad);
                format_one(p / pow(10, d) - 0.5 / pow(10, d), d, &bad); format_one(nextafter(p, 0) / pow(10, d), d, &bad);
                n += 5;
            }
    }
    format_one(NAN, 2, &bad);
    format_one(-NAN, 2, &bad);
    format_one(INFINITY, 1, &bad);
    format_one(-INFINITY, 0, &bad);
    format_one(1.25, -1, &bad);
    n += 5;
    for (iter = 0; iter < 3000000; iter++) {
        double v;
        unsigned shape = iter % 50 == 49 ? 5u : (unsigned)(iter % 5);
        d = (int)(rnd() % 7);
        if (shape == 0) v = rnd01() * 200;                                     /* lab-like */
        else if (shape == 1) v = ldexp(rnd01(), (int)(rnd() % 80) - 40);       /* all scales */
        else if (shape == 2) v = (double)(rnd() % 2000000) / 1000 + 0.0005;    /* near ties */
        else if (shape == 3) v = ldexp((double)(rnd() % 100000), -(int)(rnd() % 12)); /* exact ties */
        else if (shape == 4) v = floor(rnd01() * 1e6) / pow(10, d) + 5 * pow(10, -d - 1); /* decimal ties */
        else { uint64_t u = rnd(); memcpy(&v, &u, sizeof v); d = (int)(rnd() % 18); }  /* any bits */
        if (rnd() % 2) v = -v;
        format_one(v, d, &bad);
        n++;
    }
    {
        char what[120];
        snprintf(what, sizeof what, "format_fixed equals printf on %ld values (%ld differ, first 5 shown above)", n, bad);
        check(bad == 0, what, NULL);
    }
    { /* the inline path (cal_format_fixed_short, which w_number calls
       * itself): the text of printf where it writes one, and it writes one
       * for the usual values (0 to 4 decimals, below 10^9 in units of the
       * last digit, not a tie of the rounded product) */
        long sbad = 0, taken = 0, usual = 0, k;
        char first[100] = "", what[160];
        for (k = 0; k < 2000000; k++) {
            char t[32], want[400];
            double v, hi;
            size_t m, j, past;
            unsigned shape = (unsigned)(k % 6);
            d = (int)(rnd() % 6);
            if (shape == 0) v = rnd01() * 200;
            else if (shape == 1) v = ldexp(rnd01(), (int)(rnd() % 50) - 20);
            else if (shape == 2) v = (double)(rnd() % 2000000) / 1000 + 0.0005;
            else if (shape == 3) v = floor(rnd01() * 1e6) / pow(10, d) + 5 * pow(10, -d - 1);
            else if (shape == 4) v = nextafter(floor(rnd01() * 1e9) / pow(10, d), rnd() % 2 ? 0 : 1e300);
            else { uint64_t u = rnd(); memcpy(&v, &u, sizeof v); }
            if (rnd() % 2) v = -v;
            memset(t, 'x', sizeof t);
            m = cal_format_fixed_short(t, v, d);
            snprintf(want, sizeof want, "%.*f", d, v);
            hi = d <= 4 ? fabs(v) * pow(10, d) : 0;
            if (d <= 4 && hi < 1e9 && hi - floor(hi) != 0.5) {
                usual++;
                if (!m) { if (!sbad) snprintf(first, sizeof first, "not taken: %.17g, %d", v, d); sbad++; }
            }
            for (past = 0, j = 0; !m && j < sizeof t; j++) past += t[j] != 'x';
            if (!m && past) { /* (not taken: nothing written) */
                if (!sbad) snprintf(first, sizeof first, "%.17g, %d: not taken, but written", v, d);
                sbad++;
            }
            if (m) {
                taken++;
                for (past = 0, j = 16; j < sizeof t; j++) past += t[j] != 'x'; /* (nothing from t + 16) */
                if (m != strlen(want) || memcmp(t, want, m) != 0 || past) {
                    if (!sbad) snprintf(first, sizeof first, "%.17g, %d: [%.*s]", v, d, (int)m, t);
                    sbad++;
                }
            }
        }
        snprintf(what, sizeof what, "format_fixed_short equals printf on %ld values (%ld taken, %ld usual; %ld differ)",
                 k, taken, usual, sbad);
        check(sbad == 0 && taken == usual && taken > k / 2, what, sbad ? first : NULL);
    }
    /* snprintf-style truncation */
    check(cal_format_fixed(b, 4, 3.14159, 2) == 4 && strcmp(b, "3.1") == 0, "format_fixed truncates like snprintf", b);
    check(cal_format_fixed(NULL, 0, -12.5, 1) == 5, "format_fixed size 0 gives the length", NULL);
    check(cal_format_fixed(b, sizeof b, 1e20, 0) == 21 && strcmp(b, "100000000000000000000") == 0, "format_fixed fallback", b);
}

/* cal_format_g: printf's "%.*g" bytes whenever it gives a text, a text for
 * nearly every value in its range, and reads_back as strtod says; and
 * cal_parse_double on the 16 to 19 digit texts it reads exactly (ties
 * included), bit for bit as strtod. */
static void test_format_g(void)
{
    char what[200], first[200] = "", b[64], want[64];
    long n = 0, taken = 0, inrange = 0, bad = 0, bbad = 0;
    int iter;
    for (iter = 0; iter < 2000000; iter++) {
        unsigned shape = (unsigned)(rnd() % 6);
        int prec = shape == 5 ? 1 + (int)(rnd() % 17) : (int[]){14, 15, 17}[rnd() % 3], rb = -1;
        double v, back;
        size_t len;
        if (shape == 0) v = rnd01() * 200;                                   /* lab-like, full precision */
        else if (shape == 1) v = ldexp(rnd01(), (int)(rnd() % 80) - 20);     /* 1e-6 ... 1e18 */
        else if (shape == 2) v = floor(rnd01() * 1e6) / pow(10, (double)(rnd() % 7)); /* short decimals */
        else if (shape == 3) v = nextafter(floor(rnd01() * 1e9) / 1e3, rnd() % 2 ? 0 : 1e300); /* near them */
        else if (shape == 4) v = pow(10, (double)((int)(rnd() % 24) - 5)) * (rnd() % 2 ? 1 : nextafter(1, 0)); /* powers of ten */
        else v = (rnd01() - 0.5) * pow(10, (double)(rnd() % 19) - 4);
        if (rnd() % 4 == 0) v = -v;
        len = cal_format_g(b, v, prec, &rb);
        snprintf(want, sizeof want, "%.*g", prec, v);
        n++;
        if (fabs(v) >= 1e-4 && fabs(v) < pow(10, prec)) inrange++;
        if (!len) continue;
        taken++;
        if (strcmp(b, want) != 0 || len != strlen(want)) {
            if (!bad++) snprintf(first, sizeof first, "%.17g at %d: \"%s\", printf \"%s\"", v, prec, b, want);
            continue;
        }
        back = strtod(want, NULL);
        if (rb != (back == v)) {
            if (!bbad++) snprintf(first, sizeof first, "%.17g at %d: \"%s\" reads_back %d", v, prec, b, rb);
        }
    }
    snprintf(what, sizeof what, "format_g equals printf %%.*g on %ld of %ld values (%ld in its range; %ld differ, "
             "%ld reads_back wrong)", taken, n, inrange, bad, bbad);
    check(bad == 0 && bbad == 0 && taken > inrange * 99 / 100, what, bad || bbad ? first : NULL);
    check(cal_format_g(b, 1e-5, 15, NULL) == 0 && cal_format_g(b, 1e15, 15, NULL) == 0 &&
          cal_format_g(b, NAN, 15, NULL) == 0 && cal_format_g(b, 0.0, 15, NULL) == 0, "format_g declines outside its range", NULL);
    check(cal_format_g(b, 0.1 + 0.2, 17, NULL) && strcmp(b, "0.30000000000000004") == 0, "format_g 0.1 + 0.2 at 17", b);
    check(cal_format_g(b, 60.0, 14, NULL) && strcmp(b, "60") == 0, "format_g 60 at 14", b);
#if defined(__SIZEOF_INT128__)
    {
        /* 16 to 19 digits with 0 to 22 decimals, and exact midpoints of two
         * doubles (ties to even), against strtod bit for bit */
        static const char *const ties[] = { "9007199254740993.0", "9007199254740995.0", "4503599627370496.5",
                                            "4503599627370497.5", "2251799813685248.25", "2251799813685248.75",
                                            "18014398509481986.0", "1125899906842624.125" };
        long pn = 0, pbad = 0;
        size_t i;
        for (i = 0; i < sizeof ties / sizeof ties[0]; i++) {
            double got = 0, w = strtod(ties[i], NULL);
            pn++;
            if (!cal_parse_double(ties[i], strlen(ties[i]), &got) || memcmp(&got, &w, sizeof w) != 0) {
                if (!pbad++) snprintf(first, sizeof first, "\"%s\": %.17g, strtod %.17g", ties[i], got, w);
            }
        }
        for (iter = 0; iter < 1000000; iter++) {
            char t[64];
            int nd = 16 + (int)(rnd() % 4), dec = (int)(rnd() % 23), len, j;
            double got = 0, w;
            uint64_t mant = rnd() % 9000000000000000000u + 1000000000000000000u;
            char digits[24];
            snprintf(digits, sizeof digits, "%llu", (unsigned long long)mant);
            digits[nd] = '\0';
            if (rnd() % 8 == 0) {
                /* the midpoint of m * 2^e and (m + 1) * 2^e (m of 53 bits, e = 1 - jj):
                 * (2m + 1) / 2^jj, written exactly (jj fraction digits at most) */
                static const char *const frac[4][8] = { { "0" }, { "5" }, { "25", "75" }, { "125", "375", "625", "875" } };
                int jj = (int)(rnd() % 4);
                uint64_t m2 = 2 * ((rnd() >> 11) | ((uint64_t)1 << 52)) + 1;
                len = snprintf(t, sizeof t, "%llu.%s", (unsigned long long)(m2 >> jj),
                               frac[jj][(m2 & ((1u << jj) - 1)) >> 1]);
            } else if (dec >= nd) {
                len = snprintf(t, sizeof t, "0.%0*d%s", dec - nd, 0, digits);
                if (dec == nd) { memmove(t + 2, t + 3, strlen(t + 3) + 1); len--; }
            } else {
                len = snprintf(t, sizeof t, "%.*s.%s", nd - dec, digits, digits + nd - dec);
            }
            if (rnd() % 4 == 0) { memmove(t + 1, t, (size_t)len + 1); t[0] = '-'; len++; }
            for (j = 0; j < len && t[j] != '.'; j++) {}
            w = strtod(t, NULL);
            pn++;
            if (!cal_parse_double(t, (size_t)len, &got) || memcmp(&got, &w, sizeof w) != 0) {
                if (!pbad++) snprintf(first, sizeof first, "\"%s\": %.17g, strtod %.17g", t, got, w);
            }
        }
        snprintf(what, sizeof what, "parse_double equals strtod on %ld texts of 16 to 19 digits (%ld differ)", pn, pbad);
        check(pbad == 0, what, pbad ? first : NULL);
    }
#endif
}

/* Each test function is one test case: it passes when none of its checks
 * failed. The last line counts cases (as spec/check.sh reads it); the line
 * before it counts the individual checks. */
#define CASE(fn) do { long before_ = failed; fn(); if (failed == before_) cases_ok++; else cases_bad++; } while (0)

int main(void)
{
    long cases_ok = 0, cases_bad = 0;
    rng_state = 20261121;
    CASE(test_basic);
    CASE(test_bom);
    CASE(test_quotes);
    CASE(test_ragged);
    CASE(test_encoding);
    CASE(test_delims);
    CASE(test_long);
    CASE(test_sources);
    CASE(test_corpus);
    CASE(test_roundtrip);
    CASE(test_fuzz);
    CASE(test_fuzz_plain);
    CASE(test_simd);
    CASE(test_stream);
    CASE(test_parse_double);
    CASE(test_format_fixed);
    CASE(test_format_g);
    printf("checks: %ld passed, %ld failed\n", passed, failed);
    printf("%ld passed, %ld failed\n", cases_ok, cases_bad);
    return failed ? 1 : 0;
}
